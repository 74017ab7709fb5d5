#!/usr/bin/env python3
"""Open a --report-html page in headless Chromium and say what it shows.

python3 tests/browser.py PAGE SCREENSHOT prints one JSON object: what a
person would see (whether the table is shown and its rows, the pass-rate
bars and their widths, a failing folder's first message before and after
its folded details are opened), and leaves a screenshot of the whole page
at SCREENSHOT. Selenium drives Debian's chromium through its
chromium-driver. Without them it prints {"skip": "..."}, one line saying
how to get them. tests/test_cohort.py runs it in the background (it takes
a second or two to start a browser) and checks what it printed.
"""
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

GET_IT = 'on Debian, apt-get install chromium chromium-driver'


def find(*names: str) -> Optional[str]:
    """Return the first of the programs named that is on PATH."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def look(page: Path, screenshot: Path) -> Dict[str, Any]:
    """Open page in headless Chromium; return what is shown on it."""
    browser = find('chromium', 'chromium-browser', 'google-chrome')
    driver_path = find('chromedriver')
    if browser is None or driver_path is None:
        return {'skip': 'no {} here: {}'.format(
            'Chromium' if browser is None else 'chromedriver', GET_IT)}
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
    except ImportError:
        return {'skip': 'selenium is not installed here: ' + (
            'requirements-test.txt installs it on Python 3.9 and newer'
            if sys.version_info < (3, 9) else 'pip install -r '
            'requirements-test.txt')}
    profile = tempfile.mkdtemp(prefix='chromium-')
    # Any: selenium's annotations differ from release to release.
    options: Any = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ('--headless=new', '--no-sandbox', '--disable-gpu',
                     '--disable-dev-shm-usage', '--no-first-run',
                     '--disable-extensions', '--disable-sync',
                     '--disable-background-networking',
                     '--disable-component-update', '--hide-scrollbars',
                     '--window-size=1000,900',
                     '--user-data-dir=' + profile):
        options.add_argument(argument)
    driver: Any = webdriver.Chrome(
        service=Service(executable_path=driver_path), options=options)
    try:
        driver.get(page.resolve().as_uri())
        table = driver.find_element(By.ID, 'table')
        rows = table.find_elements(By.CSS_SELECTOR, 'tbody tr')
        bars: List[Dict[str, Any]] = []
        for rate in driver.find_elements(By.CSS_SELECTOR, '.rate'):
            bar = rate.find_element(By.CSS_SELECTOR, '.bar')
            fill = rate.find_element(By.CSS_SELECTOR, '.fill')
            bars.append({'text': rate.text, 'shown': bar.is_displayed(),
                         'width': bar.size['width'],
                         'filled': fill.size['width']})
        failing = driver.find_element(
            By.XPATH, '//details[.//*[@class="failure"]]')
        message = failing.find_element(By.CSS_SELECTOR, '.failure .message')
        hidden_before = not message.is_displayed()
        failing.find_element(By.TAG_NAME, 'summary').click()
        facts = {
            'title': driver.title, 'table_shown': table.is_displayed(),
            'rows': [row.text for row in rows], 'bars': bars,
            'folder': failing.find_element(By.TAG_NAME, 'summary').text,
            'message_hidden_before': hidden_before,
            'message_shown_after': message.is_displayed(),
            'message': message.text}
        height = driver.execute_script(
            'return document.documentElement.scrollHeight')
        driver.set_window_size(1000, min(int(height) + 40, 6000))
        driver.execute_script('window.scrollTo(0, 0)')
        driver.save_screenshot(str(screenshot))
        return facts
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: List[str]) -> int:
    """Print what the page given shows, as JSON."""
    if len(argv) != 2:
        print('usage: python3 tests/browser.py PAGE SCREENSHOT',
              file=sys.stderr)
        return 2
    print(json.dumps(look(Path(argv[0]), Path(argv[1]))))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
