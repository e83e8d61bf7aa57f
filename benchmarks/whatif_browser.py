"""The what-if notebook in a real browser: how long a slider move takes to show (issue 17).

Serves a what-if notebook with Voila on loopback, opens it in headless Chromium (Debian's
`chromium` package) driven through the DevTools protocol, waits for the app, then moves the
"Its failures ×" slider N times with the keyboard (one step to the right each time, so no move
repeats a value already computed). For each move it measures, in the page, from the key press
to the new number appearing and to the new chart having loaded, and prints the medians:

    python benchmarks/whatif_browser.py                       # notebooks/02_what_if.ipynb
    python benchmarks/whatif_browser.py --notebook OLD.ipynb --moves 15 --screenshot app.png

The number is the line of the slider's box that says "... with the changes ..."; the chart is
the box's last image. Needs `voila` (the `notebooks` extra) and `chromium` on the PATH; uses
`websocket-client` (installed with JupyterLab) for the DevTools protocol.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import websocket

ROOT = Path(__file__).resolve().parents[1]

#: Installed in the page: `arm()` snapshots the number and chart of the slider's box, then
#: polls every 2 ms for each to change; `window.__whatif` holds the times (ms after `arm`).
ARM = """
(() => {
  const handle = document.querySelectorAll('.noUi-handle')[0];
  const box = handle.closest('.widget-vbox');
  const number = () => (box.innerText.split('\\n').find(l => l.includes('with the changes')) || '');
  const image = () => { const im = [...box.querySelectorAll('img')].filter(i => i.width > 300);
                        return im.length ? im[im.length - 1] : null; };
  const n0 = number(), i0 = image(), s0 = i0 ? i0.src : '';
  const t0 = performance.now();
  const out = {number: null, chart: null};
  window.__whatif = out;
  const poll = () => {
    const t = performance.now() - t0;
    if (out.number === null && number() && number() !== n0) out.number = t;
    const im = image();
    if (out.chart === null && im && (im !== i0 || im.src !== s0) && im.complete && im.naturalWidth)
      out.chart = t;
    if ((out.number === null || out.chart === null) && t < 20000) setTimeout(poll, 2);
  };
  handle.focus();
  poll();
  return true;
})()
"""
READY = """
(() => { const h = document.querySelectorAll('.noUi-handle');
  if (!h.length) return false; const box = h[0].closest('.widget-vbox');
  return box.innerText.includes('with the changes') &&
    [...box.querySelectorAll('img')].some(i => i.width > 300 && i.complete); })()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, seconds: float) -> None:
    """Wait until something listens on 127.0.0.1:`port` (a request to Voila would start a
    kernel and run the whole notebook, so only the port is tried)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listens on port {port} after {seconds:.0f} s")


def wait_http(url: str, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=2).read()
            return
        time.sleep(0.3)
    raise TimeoutError(f"nothing answered at {url} within {seconds:.0f} s")


@contextlib.contextmanager
def voila(notebook: Path) -> Iterator[str]:
    """Voila serving `notebook` on 127.0.0.1; yields its URL and stops it after."""
    port = free_port()
    voila_bin = Path(sys.executable).with_name("voila")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [str(voila_bin), str(notebook), f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, 60)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


class Browser:
    """Headless Chromium through the DevTools protocol (one page)."""

    def __init__(self) -> None:
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            raise SystemExit("chromium is not installed (apt-get install -y chromium)")
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="whatif-chromium-")
        self.proc = subprocess.Popen(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--remote-debugging-port={self.port}",
                f"--user-data-dir={self.profile}",
                "--window-size=1400,1000",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(f"http://127.0.0.1:{self.port}/json/version", 30)
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list"))
        page = next(p for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def key(self, name: str, code: int) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key=name,
                code=name,
                windowsVirtualKeyCode=code,
                nativeVirtualKeyCode=code,
            )

    def screenshot(self, path: Path, height: int = 3000) -> None:
        """The page at 1400 px wide and `height` tall (Voila scrolls inside its own panel, so
        the page's content size is only the window's)."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=1400,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        time.sleep(1.0)
        shot = self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=20)
        shutil.rmtree(self.profile, ignore_errors=True)


def measure(notebook: Path, moves: int, screenshot: Path | None) -> dict[str, Any]:
    with voila(notebook) as url:
        browser = Browser()
        try:
            start = time.monotonic()
            browser.send("Page.navigate", url=url)
            while not browser.evaluate(READY):
                if time.monotonic() - start > 300:
                    raise TimeoutError("the app did not show its sliders within 300 s")
                time.sleep(0.2)
            loaded = time.monotonic() - start
            time.sleep(1.0)
            numbers, charts = [], []
            for _ in range(moves):
                browser.evaluate(ARM)
                browser.key("ArrowRight", 39)
                end = time.monotonic() + 20
                while time.monotonic() < end:
                    got = browser.evaluate("window.__whatif")
                    if got and got["number"] is not None and got["chart"] is not None:
                        break
                    time.sleep(0.02)
                numbers.append(got["number"] / 1000 if got["number"] is not None else float("inf"))
                charts.append(got["chart"] / 1000 if got["chart"] is not None else float("inf"))
                time.sleep(0.3)
            if screenshot is not None:
                browser.send("Runtime.evaluate", expression="window.scrollTo(0, 0)")
                browser.screenshot(screenshot)
        finally:
            browser.close()
    return {
        "notebook": str(notebook),
        "moves": moves,
        "app_ready_seconds": round(loaded, 2),
        "number_median": round(statistics.median(numbers), 3),
        "chart_median": round(statistics.median(charts), 3),
        "number_max": round(max(numbers), 3),
        "chart_max": round(max(charts), 3),
        "numbers": [round(x, 3) for x in numbers],
        "charts": [round(x, 3) for x in charts],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", type=Path, default=ROOT / "notebooks" / "02_what_if.ipynb")
    parser.add_argument("--moves", type=int, default=15)
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()
    result = measure(args.notebook.resolve(), args.moves, args.screenshot)
    print(json.dumps(result, indent=2))
    print(
        f"slider move to new number: median {result['number_median']:.3f} s; "
        f"to new chart: median {result['chart_median']:.3f} s ({args.moves} moves; goal 0.25 s)"
    )


if __name__ == "__main__":
    main()
