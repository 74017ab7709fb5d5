#!/usr/bin/env python3
"""Open a --report-html page in headless Chromium and say what it shows.

python3 tests/browser.py PAGE SCREENSHOT prints one JSON object: what a
person would see (whether the table is shown and its rows, the pass-rate
bars and their widths, a failing folder's first message before and after
its folded details are opened by a click), and leaves a screenshot of the
whole page at SCREENSHOT. Without Chromium it prints {"skip": "..."}, one
line saying how to get it. tests/test_cohort.py runs it in the background
and checks what it printed.

The test suite runs this beside everything else on two cores, so it is
written to cost little CPU (about 1 CPU-second; driving Chromium through
Selenium and chromedriver cost 5). It speaks Chromium's own DevTools
protocol over a pipe (--remote-debugging-pipe), the protocol chromedriver
itself speaks to the browser: no chromedriver process, no WebDriver round
trips (some 10 ms of browser CPU each), and no Selenium to import (a
third of a second). What is seen is gathered by two scripts run in the
page, LOOK before the click and OPENED after it, and the click is a real
one: mouse events at the middle of the summary, as chromedriver sends
them, once the page has said that the summary is what is there. SWITCHES
says which of Chromium's own work is skipped, and why.
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Sequence

GET_IT = 'on Debian, apt-get install chromium'
WIDTH = 1000  # CSS pixels: the page's layout width
SWITCHES = (
    '--headless=new', '--no-sandbox',  # no display; we run as root
    # Software drawing; shared memory in /tmp, not in a container's small
    # /dev/shm.
    '--disable-gpu', '--disable-dev-shm-usage',
    # Nothing to fetch, sync or update: the page is a local file.
    '--no-first-run', '--disable-extensions', '--disable-sync',
    '--disable-background-networking', '--disable-component-update',
    # The layout the facts' widths are of: 1000 pixels, no scroll bar.
    '--hide-scrollbars', '--window-size={},900'.format(WIDTH),
    # Chromium (156 here) preloads the omnibox popup, a WebUI page of its
    # own, even headless: about 1 CPU-second, as much as all the rest.
    '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup',
    # No start-up tab: the page gets a tab made for it
    # (Target.createTarget), known by its id at once, with nothing to
    # find or to navigate away from.
    '--no-startup-window')
# One process instead of six or so (browser, two zygotes, GPU, network,
# storage, renderers): 0.4 CPU-seconds less. Chromium calls this mode
# unsupported, so if the browser goes away in it, look() tries again
# without it.
ONE_PROCESS = ('--single-process', '--no-zygote')
# A fresh profile on a disk costs 0.2 CPU-seconds more than on tmpfs:
# Chromium writes nearly 200 files (2 MB) into it as it starts.
TMPFS = '/dev/shm'
ANSWER_WITHIN = 60.0  # seconds for any one answer of the browser

# What the page shows, as Selenium's WebDriver would see it. An element
# is shown if Chromium renders it visibly (not display: none, visibility:
# hidden, opacity 0, nor inside a closed <details>), it has an area, and
# no ancestor's overflow: hidden clips it away, as is_displayed() has it.
# An element's text is its innerText, the browser's rendered text, with a
# table's cells parted by a space as WebDriver's text is; a width is
# rounded to a whole pixel as WebDriver's size is.
PRELUDE = '''
function shown(element) {
  if (!element.checkVisibility({opacityProperty: true,
                                visibilityProperty: true})) return false;
  var box = element.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return false;
  for (var up = element.parentElement; up; up = up.parentElement) {
    var style = getComputedStyle(up);
    if (!/hidden|clip/.test(style.overflowX + style.overflowY)) continue;
    var clip = up.getBoundingClientRect();
    if (box.right <= clip.left || box.left >= clip.right ||
        box.bottom <= clip.top || box.top >= clip.bottom) return false;
  }
  return true;
}
function text(element) {
  return element.innerText.replace(/\\t/g, ' ').trim();
}
function width(element) {
  return Math.round(element.getBoundingClientRect().width);
}
var table = document.getElementById('table');
var failing = document.evaluate(
    '//details[.//*[@class="failure"]]', document, null,
    XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
var summary = failing.querySelector('summary');
var message = failing.querySelector('.failure .message');
'''
# Before the click: the facts, and where to click (the middle of the
# summary, scrolled into view) if that point is the summary's.
LOOK = PRELUDE + '''
summary.scrollIntoView({block: 'center'});
var box = summary.getClientRects()[0];
var x = box.left + box.width / 2, y = box.top + box.height / 2;
JSON.stringify({
  title: document.title, table_shown: shown(table),
  rows: Array.from(table.querySelectorAll('tbody tr'), text),
  bars: Array.from(document.querySelectorAll('.rate'), function (rate) {
    var bar = rate.querySelector('.bar');
    return {text: text(rate), shown: shown(bar), width: width(bar),
            filled: width(rate.querySelector('.fill'))};
  }),
  folder: text(summary), message_hidden_before: !shown(message),
  click: {x: x, y: y,
          on_summary: summary.contains(document.elementFromPoint(x, y))}});
'''
# After the click: the message, and the page's size for the screenshot.
OPENED = PRELUDE + '''
window.scrollTo(0, 0);
JSON.stringify({
  message_shown_after: shown(message), message: text(message),
  width: document.documentElement.scrollWidth,
  height: document.documentElement.scrollHeight});
'''
# The address of what the tab shows, once it has loaded: about:blank
# while the page is still on its way.
LOADED = '''new Promise(function (loaded) {
  function done() { loaded(location.href); }
  if (document.readyState === 'complete') done();
  else window.addEventListener('load', done);
})'''


class BrowserGone(RuntimeError):
    """The browser ended, or closed its end of the pipe, unasked."""


class Refused(RuntimeError):
    """The browser answered a command with an error."""


class Browser:
    """A headless Chromium, driven over --remote-debugging-pipe.

    Chromium reads the DevTools protocol's commands, JSON each ended by a
    NUL byte, from its file descriptor 3 and answers on 4.
    """

    def __init__(self, program: str, switches: Sequence[str]) -> None:
        """Start program with switches, its pipes on descriptors 3, 4."""
        commands, self.commands = os.pipe()
        self.answers, answers = os.pipe()

        def onto_3_and_4() -> None:
            """In the child: put the pipe's ends on 3 and 4 (first out
            of the way, should either of them be 3 or 4 already)."""
            ends = [fcntl.fcntl(end, fcntl.F_DUPFD, 10)
                    for end in (commands, answers)]
            os.dup2(ends[0], 3)
            os.dup2(ends[1], 4)
        self.log: IO[bytes] = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [program] + list(switches) + ['--remote-debugging-pipe'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.log, preexec_fn=onto_3_and_4, close_fds=False)
        os.close(commands)
        os.close(answers)
        self.unread = b''
        self.last_id = 0

    def gone(self, doing: str) -> BrowserGone:
        """Return the error to raise: the browser went away while doing
        what is said; with the end of what it wrote on stderr."""
        self.log.seek(0)
        said = self.log.read().decode('utf-8', 'replace').splitlines()
        return BrowserGone('Chromium went away ({}): {}'.format(
            doing, ' | '.join(said[-5:])))

    def send(self, method: str, params: Optional[Dict[str, Any]] = None,
             session: Optional[str] = None) -> Dict[str, Any]:
        """Send a command (to the page of session, if given) and return
        its result; events that come meanwhile are not needed."""
        self.last_id += 1
        command: Dict[str, Any] = {'id': self.last_id, 'method': method,
                                   'params': params or {}}
        if session is not None:
            command['sessionId'] = session
        try:
            os.write(self.commands, json.dumps(command).encode() + b'\0')
        except BrokenPipeError:
            raise self.gone(method) from None
        while True:
            answer: Dict[str, Any] = json.loads(self.read(method))
            if answer.get('id') == self.last_id:
                if 'error' in answer:
                    raise Refused('{}: {}'.format(
                        method, answer['error'].get('message')))
                result: Dict[str, Any] = answer['result']
                return result

    def read(self, method: str) -> bytes:
        """Return the next message the browser writes."""
        deadline = time.monotonic() + ANSWER_WITHIN
        while b'\0' not in self.unread:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.answers], [], [],
                                              left)[0]:
                raise RuntimeError('Chromium did not answer {} within {} '
                                   's'.format(method, ANSWER_WITHIN))
            more = os.read(self.answers, 1 << 20)
            if not more:
                raise self.gone(method)
            self.unread += more
        message, self.unread = self.unread.split(b'\0', 1)
        return message

    def close(self) -> None:
        """End the browser. SIGTERM, which Chromium takes as a request to
        exit now: a graceful Browser.close would save the profile first,
        which is thrown away (0.1 CPU-seconds more)."""
        for end in (self.commands, self.answers):
            os.close(end)
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def find(*names: str) -> Optional[str]:
    """Return the first of the programs named that is on PATH."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def examine(browser: Browser, page: Path,
            screenshot: Path) -> Dict[str, Any]:
    """Open page in a new tab of browser; return what is shown on it,
    after saving a screenshot of the whole of it."""
    url = page.resolve().as_uri()
    tab = browser.send('Target.createTarget', {'url': url})['targetId']
    session = browser.send('Target.attachToTarget', {
        'targetId': tab, 'flatten': True})['sessionId']

    def run(script: str) -> Any:
        """Run script in the page; return its value."""
        done = browser.send('Runtime.evaluate', {
            'expression': script, 'awaitPromise': True,
            'returnByValue': True}, session)
        if 'exceptionDetails' in done:
            raise RuntimeError('the page said: {}'.format(
                done['exceptionDetails'].get('exception', {}).get(
                    'description', done['exceptionDetails'])))
        return done['result'].get('value')

    deadline = time.monotonic() + ANSWER_WITHIN
    shows = 'about:blank'  # what a new tab shows until the page comes
    while shows == 'about:blank' and time.monotonic() < deadline:
        try:
            shows = run(LOADED)
        except Refused:  # between two documents: none to run it in
            pass
        if shows == 'about:blank':
            time.sleep(0.02)
    if shows != url:
        raise RuntimeError('{} did not load: the tab shows {}'.format(
            url, shows))
    facts: Dict[str, Any] = json.loads(run(LOOK))
    click = facts.pop('click')
    if not click.pop('on_summary'):
        raise RuntimeError('something covers the summary to click')
    for kind, button, count in (('mouseMoved', 'none', 0),
                                ('mousePressed', 'left', 1),
                                ('mouseReleased', 'left', 1)):
        browser.send('Input.dispatchMouseEvent', dict(
            click, type=kind, button=button, clickCount=count), session)
    opened = json.loads(run(OPENED))
    shot = browser.send('Page.captureScreenshot', {
        'format': 'png', 'optimizeForSpeed': True,  # 0.1 CPU-s less
        'captureBeyondViewport': True, 'clip': {
            'x': 0, 'y': 0, 'width': opened.pop('width'),
            'height': opened.pop('height'), 'scale': 1}}, session)
    screenshot.write_bytes(base64.b64decode(shot['data']))
    facts.update(opened)
    return facts


def attempt(program: str, switches: Sequence[str], page: Path,
            screenshot: Path) -> Dict[str, Any]:
    """Start program with switches and a fresh profile, examine page in
    it, and end it."""
    profile = tempfile.mkdtemp(prefix='chromium-', dir=TMPFS if (
        os.path.isdir(TMPFS) and os.access(TMPFS, os.W_OK)) else None)
    try:
        browser = Browser(program, list(switches) + [
            '--user-data-dir=' + profile])
        try:
            return examine(browser, page, screenshot)
        finally:
            browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def look(page: Path, screenshot: Path) -> Dict[str, Any]:
    """Open page in headless Chromium; return what is shown on it."""
    program = find('chromium', 'chromium-browser', 'google-chrome')
    if program is None:
        return {'skip': 'no Chromium here: ' + GET_IT}
    try:
        return attempt(program, SWITCHES + ONE_PROCESS, page, screenshot)
    except BrowserGone as error:
        print('{}; again, with a process per part'.format(error),
              file=sys.stderr)
        return attempt(program, SWITCHES, page, screenshot)


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
