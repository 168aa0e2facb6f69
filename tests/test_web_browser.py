"""`presswatch web` in a real headless Chromium (Debian's chromium and chromium-driver):
home, search, a release, a diff, a feed link, the phone layout and the keyboard; the hostile
release's payloads never run. Screenshots go to the test's temp folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.slow
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(web_archive: tuple[str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`presswatch web` itself, on a free port of 127.0.0.1."""
    port = _free_port()
    cwd = tmp_path_factory.mktemp("web")
    process = subprocess.Popen(
        [sys.executable, "-c", "from presswatch.cli import main; main()",
         "--db", web_archive[0], "web", "--port", str(port)],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url + "/feeds", timeout=2)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"presswatch web did not start: {process.stdout.read().decode()}")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), (
        "the browser tests need Debian's chromium: apt-get install -y chromium chromium-driver"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _nothing_ran(driver: webdriver.Chrome) -> None:
    """No payload set its flag, and no alert is open."""
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 - the property raises when no alert is open
    assert driver.execute_script("return typeof window.__pwned") == "undefined"


def _shot(driver: webdriver.Chrome, folder: Path, name: str) -> None:
    assert driver.save_screenshot(str(folder / f"{name}.png"))
    _nothing_ran(driver)


def arrived(browser: webdriver.Chrome, part: str) -> None:
    """Wait until a click's navigation has landed on a URL holding ``part``."""
    WebDriverWait(browser, 15).until(EC.url_contains(part))


def test_reader_walks_the_archive(
    server: str, browser: webdriver.Chrome, web_archive: tuple[str, int], tmp_path: Path
) -> None:
    b = browser
    b.get(server + "/")
    assert b.find_element(By.TAG_NAME, "h1").text == "Recent changes"
    b.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)  # the first stop: the skip link
    assert b.switch_to.active_element.get_attribute("href").endswith("#main")
    _shot(b, tmp_path, "home")

    b.find_element(By.LINK_TEXT, "Releases").click()
    arrived(b, "/releases")
    box = b.find_element(By.NAME, "q")
    box.send_keys("traffick*", Keys.ENTER)  # a prefix: the word alone is in no release
    arrived(b, "q=traffick")
    marks = b.find_elements(By.CSS_SELECTOR, ".snippet mark")
    assert marks and all(m.text.lower().startswith("traffick") for m in marks)
    _shot(b, tmp_path, "search")

    b.find_element(By.CSS_SELECTOR, "ol.releases li a").click()
    arrived(b, "/releases/")
    assert b.find_element(By.LINK_TEXT, "Original page")
    _shot(b, tmp_path, "release")

    b.get(server + "/?kind=changed&source=osce")
    b.find_element(By.PARTIAL_LINK_TEXT, "diff v1 → v2").click()
    arrived(b, "/diff?from=1&to=2")
    assert b.find_elements(By.CSS_SELECTOR, ".inline del") and b.find_elements(
        By.CSS_SELECTOR, ".inline ins"
    )
    _shot(b, tmp_path, "diff")
    b.find_element(By.CSS_SELECTOR, "select[name=view] option[value=side]").click()
    b.find_element(By.CSS_SELECTOR, "form.filters button").click()
    arrived(b, "view=side")
    assert len(b.find_elements(By.CSS_SELECTOR, ".side section")) == 2
    _shot(b, tmp_path, "diff-side")

    b.find_element(By.LINK_TEXT, "Feeds").click()
    arrived(b, "/feeds")
    b.find_element(By.LINK_TEXT, "Source osce").click()
    arrived(b, "/feeds/events.atom?source=osce")
    assert "tag:presswatch,2026:event/" in b.page_source
    _shot(b, tmp_path, "feed")

    b.set_window_size(390, 844)  # a phone: nothing wider than the screen
    for path in ("/", "/releases?q=drug", "/sources"):
        b.get(server + path)
        assert b.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        ), path
    _shot(b, tmp_path, "phone-sources")
    b.set_window_size(1280, 900)


def test_hostile_payloads_never_run(
    server: str, browser: webdriver.Chrome, web_archive: tuple[str, int], tmp_path: Path
) -> None:
    h = web_archive[1]
    for path in (f"/releases/{h}", f"/releases/{h}?version=1", f"/releases/{h}/diff",
                 f"/releases/{h}/diff?view=side", "/releases?q=hostile", "/?q=hostile",
                 f"/releases/{h}/versions/1/page.txt", "/feeds/events.atom?q=hostile"):  # fmt: skip
        browser.get(server + path)
        _nothing_ran(browser)
    browser.get(server + f"/releases/{h}")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith(
        "<script>window.__pwned=1</script>"
    )
    assert not browser.find_elements(By.CSS_SELECTOR, "main img, main svg, main script")
    hrefs = [a.get_attribute("href") or "" for a in browser.find_elements(By.TAG_NAME, "a")]
    assert not [h for h in hrefs if h.startswith("javascript:")]
    _shot(browser, tmp_path, "hostile")
    browser.get(server + f"/releases/{h}/versions/1/page.txt")  # the page as text, not markup
    assert "<script>window.__pwned=7" in browser.find_element(By.TAG_NAME, "body").text
    _nothing_ran(browser)
    assert os.listdir(tmp_path) == ["hostile.png"]
