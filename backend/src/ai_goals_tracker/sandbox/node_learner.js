// Runs in the learner's process (another uid, its own namespaces): loads nothing until the goal's
// tests ask for the learner's module, then serves the tests' requests over fd 3 (node_bridge.js).
"use strict";

require("./.aigt_bridge.js").startLearner(require("node:path").resolve(process.argv[2]));
