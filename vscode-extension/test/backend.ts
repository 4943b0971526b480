// Starts a real `aigt serve` for the tests: an ephemeral AIGT_HOME (so its own embedded
// PostgreSQL), a free port, and a wait for /health. Stopped with SIGINT, as Ctrl-C would.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface Backend {
  url: string;
  home: string;
  stop(): Promise<void>;
}

// out/test/backend.js → the repository's virtualenv.
const AIGT = process.env.AIGT_BIN ?? path.resolve(__dirname, "..", "..", "..", ".venv", "bin", "aigt");
const STARTUP_SECONDS = 180;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startBackend(): Promise<Backend> {
  const home = mkdtempSync(path.join(tmpdir(), "aigt-vscode-test-"));
  const port = await freePort();
  const logPath = path.join(home, "serve.log");
  const log = createWriteStream(logPath);
  const env: NodeJS.ProcessEnv = { ...process.env, AIGT_HOME: home, AIGT_PORT: String(port), AIGT_HOST: "127.0.0.1" };
  delete env.AIGT_DATABASE_URL;
  // With its job worker: reviews are jobs, and the submission flow waits for their verdict.
  const child = spawn(AIGT, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_SECONDS * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`aigt serve exited with ${child.exitCode}:\n${readFileSync(logPath, "utf8")}`);
    }
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (Date.now() >= deadline) {
    child.kill("SIGKILL");
    throw new Error(`aigt serve did not answer /health within ${STARTUP_SECONDS} s:\n${readFileSync(logPath, "utf8")}`);
  }
  return {
    url,
    home,
    async stop() {
      child.kill("SIGINT");
      if (!(await exited(child, 30_000))) {
        child.kill("SIGKILL");
        await exited(child, 5_000);
      }
      log.end();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
