"""A learner's whole journey in a real browser, against `aigt serve` with its job worker.

Register, sign in, create a course and a goal, accept a suggestion, start a task, submit code that
fails and code that passes, watch progress move, search in Spanish, sign out. Along the way no page
may request another origin or log a console error, and axe-core must find no serious or critical
accessibility violation. The main pages are saved as screenshots: in the test run's temporary folder,
or in docs/screenshots/ for the README with `make screenshots`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser, ConsoleMessage, Page, Request

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct horse battery"
FAILING_CODE = "def sumar(a, b)\n    return a + b\n"
PASSING_CODE = 'def sumar(a: int, b: int) -> int:\n    """Suma dos números."""\n    return a + b\n'
SERIOUS = ("serious", "critical")


@dataclass
class Watch:
    """What the browser did behind the learner's back: requests and console errors."""

    origin: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def on_page_error(self, error: Exception) -> None:
        self.console_errors.append(str(error))

    def foreign(self) -> list[str]:
        return [url for url in self.requests if not (url.startswith(self.origin + "/") or url == self.origin)]


@pytest.fixture
async def page(browser: Browser, live_server: str, clean_live_db: None) -> AsyncIterator[tuple[Page, Watch]]:
    context = await browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    # Generous: a guard against hangs, not a speed check (the first suggestion loads the offline
    # model, and the shared test machine can be slow).
    context.set_default_timeout(300_000)
    opened = await context.new_page()
    watch = Watch(origin=live_server)
    opened.on("request", watch.on_request)
    opened.on("console", watch.on_console)
    opened.on("pageerror", watch.on_page_error)
    yield opened, watch
    await context.close()


async def accessible(page: Page) -> None:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]
    assert serious == [], f"axe-core on {page.url}: {serious}"


async def shoot(page: Page, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def flash(page: Page) -> str:
    return await page.locator(".flash").first.inner_text()


async def progress_of(page: Page) -> str:
    return await page.locator(".page-head .progress-value").first.inner_text()


async def wait_for_verdict(page: Page, expected: str) -> None:
    """The review page follows a running review by itself (app.js); wait for its verdict."""
    await page.locator("#verdict .badge", has_text=re.compile(f"^{expected}$")).wait_for()


async def test_learner_journey(page: tuple[Page, Watch], live_server: str, screenshots: Path) -> None:
    browser_page, watch = page
    p = browser_page

    # Signed out, the dashboard sends the learner to the login page.
    await p.goto(f"{live_server}/")
    assert p.url.startswith(f"{live_server}/login")
    assert (await p.locator("label[for=username]").inner_text()) == "Username or email"
    await accessible(p)
    await shoot(p, screenshots, "login")
    # The first Tab reaches the skip link, which moves focus to the page's content.
    await p.keyboard.press("Tab")
    assert await p.evaluate("document.activeElement.textContent") == "Skip to content"
    await p.keyboard.press("Enter")
    assert await p.evaluate("document.activeElement.id") == "main"

    # Register in Spanish: the switch changes the page, registration keeps it as the preference.
    await p.get_by_role("link", name="Create an account").click()
    await p.get_by_role("button", name="ES").click()
    assert (await p.locator("h1").inner_text()) == "Crea tu cuenta"
    await p.get_by_label("Correo electrónico").fill("lucia@example.com")
    await p.get_by_label("Nombre de usuario").fill("lucia")
    await p.get_by_label("Nombre completo (opcional)").fill("Lucía Pérez")
    await p.get_by_label("Contraseña").fill(PASSWORD)
    await accessible(p)
    await p.get_by_role("button", name="Crear cuenta").click()

    assert "Listo: inicia sesión para empezar" in await flash(p)
    assert (await p.get_by_label("Usuario o correo electrónico").input_value()) == "lucia"
    # Signing in with the keyboard alone: from the username, Tab to the password, Enter submits.
    await p.get_by_label("Usuario o correo electrónico").focus()
    await p.keyboard.press("Tab")
    await p.keyboard.type(PASSWORD)
    async with p.expect_navigation():
        await p.keyboard.press("Enter")
    await p.wait_for_url(f"{live_server}/")
    assert (await p.locator("h1").inner_text()) == "Hola, Lucía Pérez"

    # A course, then the planner's suggestions for it, one of them accepted.
    # With no course yet, the new-course form is already open.
    await p.get_by_label("Título").first.fill("Python para APIs web")
    await p.get_by_label("Descripción").fill("FastAPI, pruebas con pytest y bases de datos")
    await p.get_by_role("button", name="Crear curso").click()
    assert (await p.locator("h1").inner_text()).startswith("Python para APIs web")
    assert await progress_of(p) == "0 %"

    await p.get_by_role("button", name="Sugerir metas").click()
    await p.locator("input[name=goal]").first.wait_for()
    suggested_title = await p.locator(".suggestion label").first.inner_text()
    await accessible(p)
    await shoot(p, screenshots, "suggestions")
    await p.locator("input[name=goal]").first.check()
    await p.get_by_role("button", name="Añadir las metas marcadas").click()
    assert "1 meta(s) añadida(s)" in await flash(p)
    assert await p.get_by_role("link", name=suggested_title).is_visible()

    # A code task is completed by a passing review (docs/lifecycle.md): it offers its submission
    # form instead of a "Complete" button.
    await p.get_by_role("link", name=suggested_title).click()
    await p.get_by_role("link", name=re.compile("^Enviar código:")).first.click()
    assert p.url.endswith("#submit-title")
    assert await p.get_by_role("button", name="Enviar a revisión").is_visible()
    assert await p.get_by_role("button", name=re.compile("^Completar:")).count() == 0
    await p.go_back()

    # A goal of the learner's own, with a task.
    await (
        p.get_by_role("navigation", name="Ruta de navegación").get_by_role("link", name="Python para APIs web").click()
    )
    await p.locator("summary", has_text="Nueva meta").click()
    await p.get_by_label("Título").fill("Sumar números")
    await p.get_by_label("Prioridad").select_option("high")
    await p.get_by_label("Criterios de validación").fill("La función sumar devuelve la suma de dos números")
    await p.get_by_role("button", name="Crear meta").click()
    assert (await p.locator("h1").inner_text()) == "Sumar números"
    await p.get_by_label("Título").fill("Escribir la función sumar")
    await p.get_by_label("Horas estimadas").fill("2")
    await p.get_by_role("button", name="Añadir tarea").click()
    assert "Tarea añadida." in await flash(p)
    assert await progress_of(p) == "0 %"
    goal_url = p.url

    # Start it with its button.
    await p.get_by_role("button", name="Empezar: Escribir la función sumar").click()
    assert "Tarea empezada." in await flash(p)
    await p.get_by_role("link", name="Escribir la función sumar", exact=True).click()
    assert (await p.locator(".page-head .badge").first.inner_text()) == "En curso"
    await accessible(p)

    # Code that does not parse fails, with the reported line highlighted and linked.
    await p.get_by_label("Ruta del archivo").fill("sumar.py")
    await p.get_by_label("Código", exact=True).fill(FAILING_CODE)
    await p.get_by_role("button", name="Enviar a revisión").click()
    await wait_for_verdict(p, "No aprobado")
    assert (await p.locator("tr#L1").get_attribute("class")) == "hl sev-critical"
    assert (await p.locator("tr#L2").get_attribute("class")) is None
    finding_link = p.locator(".finding a[href='#L1']")
    assert (await finding_link.inner_text()) == "Línea 1"
    assert "Error de sintaxis" in (await p.locator(".finding").first.inner_text())
    await finding_link.click()
    assert p.url.endswith("#L1")
    await accessible(p)
    await shoot(p, screenshots, "review")

    # Code with nothing wrong still waits: no check can decide the goal's sentence, so the learner
    # confirms it, and only then does the review pass, complete the task and move the goal's progress.
    await (
        p.get_by_role("navigation", name="Ruta de navegación")
        .get_by_role("link", name="Escribir la función sumar")
        .click()
    )
    await p.get_by_label("Ruta del archivo").fill("sumar.py")
    await p.get_by_label("Código", exact=True).fill(PASSING_CODE)
    await p.get_by_role("button", name="Enviar a revisión").click()
    await wait_for_verdict(p, "Espera tu juicio")
    criterion = "La función sumar devuelve la suma de dos números"
    assert (await p.locator("#criteria-title + .table-scroll tbody .badge").first.inner_text()) == "Espera tu juicio"
    assert await p.get_by_role("button", name=f"Confirmar: se cumple: {criterion}").is_visible()
    await accessible(p)
    await shoot(p, screenshots, "review-awaiting")
    await p.get_by_label("Nota (opcional)").fill("Probada con 2 + 3")
    await p.get_by_role("button", name=f"Confirmar: se cumple: {criterion}").click()
    assert "todos los criterios están decididos" in await flash(p)
    await wait_for_verdict(p, "Aprobado")
    assert await p.locator("#criteria-title + .table-scroll tbody .badge").all_inner_texts() == [
        "Cumplido",
        "Confirmado por ti",
    ]
    assert "Nota: Probada con 2 + 3" in await p.locator("#criteria-title + .table-scroll tbody").inner_text()
    await (
        p.get_by_role("navigation", name="Ruta de navegación")
        .get_by_role("link", name="Escribir la función sumar")
        .click()
    )
    assert (await p.locator(".page-head .badge").first.inner_text()) == "Completada"
    assert await p.locator("#history-title + ol .badge").all_inner_texts() == ["Aprobado", "No aprobado"]
    await accessible(p)
    await shoot(p, screenshots, "task")
    await p.goto(goal_url)
    assert await progress_of(p) == "100 %"
    assert await p.locator(".criterion .badge").all_inner_texts() == ["Cumplido", "Confirmado por ti"]
    await accessible(p)
    await shoot(p, screenshots, "goal")
    await (
        p.get_by_role("navigation", name="Ruta de navegación").get_by_role("link", name="Python para APIs web").click()
    )
    assert await progress_of(p) != "0 %"
    await accessible(p)
    await shoot(p, screenshots, "course")

    # Home and statistics: progress bars, the streak, the heatmap and charts drawn as SVG.
    await p.get_by_role("link", name="Inicio").first.click()
    assert (await p.locator("svg.heatmap rect.heat").count()) >= 7 * 52
    assert (await p.locator("svg.heatmap rect.heat:not(.l0)").count()) >= 1
    assert (await p.locator("#reviews-title + ul .badge").all_inner_texts()) == ["Aprobado", "No aprobado"]
    await accessible(p)
    await shoot(p, screenshots, "home")
    await p.get_by_role("link", name="Estadísticas").click()
    assert (await p.locator("svg.bars rect.bar").count()) == 12
    assert (await p.locator("svg.line circle.point").count()) >= 1
    assert (await p.locator("svg.hours rect.actual").count()) >= 1
    await accessible(p)
    await shoot(p, screenshots, "stats")

    # Search in Spanish finds the learner's own work (embedded by the worker in the background).
    deadline = time.monotonic() + 300
    while True:
        await p.get_by_role("search").first.get_by_label("Busca en lo tuyo").fill("función que suma dos números")
        async with p.expect_navigation():
            await p.keyboard.press("Enter")
        titles = await p.locator(".results .item-head a").all_inner_texts()
        if "Escribir la función sumar" in titles or time.monotonic() > deadline:
            break
        await asyncio.sleep(2)
    assert "Escribir la función sumar" in titles
    await accessible(p)
    await shoot(p, screenshots, "search")

    # Signing out ends the session: the dashboard asks to sign in again.
    await p.get_by_role("button", name="Cerrar sesión").click()
    assert "Has cerrado la sesión." in await flash(p)
    await p.goto(f"{live_server}/stats")
    assert p.url.startswith(f"{live_server}/login")

    assert watch.foreign() == []
    assert watch.console_errors == []


async def test_the_api_docs_render_from_this_server_under_their_policy(
    page: tuple[Page, Watch], live_server: str
) -> None:
    """Swagger UI at /docs works on a machine that reaches nothing outside: every file it loads is
    this server's, and the Content-Security-Policy refuses nothing it needs."""
    browser_page, watch = page

    await browser_page.goto(f"{live_server}/docs")
    await browser_page.wait_for_selector(".opblock-summary-path")

    assert "/api/v1/goals" in await browser_page.inner_text("#swagger-ui")
    assert [url for url in watch.foreign() if not url.startswith("data:")] == []
    assert watch.console_errors == []
