"""The report pages: self-contained HTML (nothing from the network), a header with the
study's title, source, notes, provenance and parameters, navigation and downloads that
resolve, and the index's cards."""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import nbformat
import pytest

from peerstudy.config import PROJECT_ROOT
from peerstudy.report import pages

STUDY = "mini-demo"
NOTEBOOKS = ["clean", "results"]
# A 1x1 PNG, written out by hand (signature, IHDR, IDAT, IEND).
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4f90000000049454e44ae426082"
    )
).decode()
SOURCE = 'Doe & Roe, "An invented study of peer support", J Invented Res 2020, 1(1):1-2.'
CODE_HASH = "c0de" * 16


def _executed_notebook(heading: str) -> nbformat.NotebookNode:
    """A small executed notebook: prose, a parameters cell, an HTML table and an image,
    as papermill leaves them."""
    params = nbformat.v4.new_code_cell("survey_export = 'data/raw/x.csv'", metadata={"tags": ["parameters"]})
    table = nbformat.v4.new_code_cell(
        "show_table(frame)",
        outputs=[
            nbformat.v4.new_output(
                "display_data",
                data={"text/html": "<table><tr><th>group</th><td>12</td></tr></table>", "text/plain": "t"},
            )
        ],
    )
    figure = nbformat.v4.new_code_cell(
        "plot()", outputs=[nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]
    )
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {heading}"), params, table, figure])


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    """A reports folder of one invented study with two pages, downloads and an index."""
    published = tmp_path / "published.yaml"
    published.write_text(f"source: >-\n  {SOURCE}\nfigures:\n  n: 3\n  m: 4\n", encoding="utf-8")
    reports = tmp_path / "reports"
    study_dir = reports / STUDY
    (study_dir / "tables").mkdir(parents=True)
    (study_dir / "figures").mkdir()
    (study_dir / "tables" / "published-comparison.csv").write_text(
        "figure,published,reproduced,match\nn,3,3,True\nm,4,5,False\n", encoding="utf-8"
    )
    (study_dir / "figures" / "bars.png").write_bytes(base64.b64decode(PNG))
    (study_dir / "key-figures.json").write_text("{}", encoding="utf-8")
    for nb in NOTEBOOKS:
        nbformat.write(_executed_notebook(f"Stage {nb}"), study_dir / f"{nb}.ipynb")
    parameters = {
        "study": STUDY,
        "title": "An invented <study>",
        "published": str(published),
        "notes": ["Every answer here was written for this test."],
        "unpublished": ["sex"],
        "survey_export": "data/raw/x.csv",
    }
    pages.write_pages(STUDY, NOTEBOOKS, parameters, study_dir, code_sha256=CODE_HASH)
    manifest = {
        "studies": {
            STUDY: {
                "notebooks": [f"reports/{STUDY}/{nb}.ipynb" for nb in NOTEBOOKS],
                "parameters": parameters,
                "code_sha256": CODE_HASH,
                "raw_inputs": {"data/raw/x.csv": "ab" * 32},
            }
        },
        "python": "3.11",
        "packages": {"pandas": "3.0"},
    }
    pages.write_index(manifest, root=tmp_path)
    return reports


def test_no_page_loads_anything_from_the_network_and_every_link_resolves(site):
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")) == [
        "index.html",
        f"{STUDY}/clean.html",
        f"{STUDY}/results.html",
    ]
    assert pages.find_link_problems(site) == []
    for page in site.rglob("*.html"):
        text = page.read_text()
        for cdn in ("require.js", "mathjax", "mermaid", "cdnjs", "unpkg", "jsdelivr"):
            assert cdn not in text.lower(), f"{page.name} still names {cdn}"


def test_the_link_checker_finds_external_and_broken_links(tmp_path):
    # Each of the four bad links below is one problem; the two good ones are none.
    (tmp_path / "ok.html").write_text("x")
    (tmp_path / "p.html").write_text(
        '<link href="//fonts.example/f.css"><script src="http://cdn.example/a.js"></script>'
        '<img src="HTTPS://cdn.example/i.png"><a href="missing.csv">m</a>'
        '<a href="ok.html#top">ok</a><a href="#x">x</a>'
    )
    assert len(pages.find_link_problems(tmp_path)) == 4


def test_a_page_header_carries_title_source_notes_provenance_and_parameters(site):
    page = (site / STUDY / "results.html").read_text()
    header = page.split('<header class="ps-header">', 1)[1].split("</header>", 1)[0]
    assert "An invented &lt;study&gt;" in header  # the title, escaped
    assert "Doe &amp; Roe" in header and "J Invented Res 2020" in header  # the source of published.yaml
    assert "Every answer here was written for this test." in header  # the study's notes
    assert "sex: not reported in the source paper" in header  # from `unpublished`
    assert CODE_HASH in header
    # the fixture's comparison: 2 rows, one with match True (counted by hand)
    assert "1 of 2 published figures reproduced" in header and "tables/published-comparison.csv" in header
    params = header.split("<details><summary>Parameters", 1)[1].split("</details>", 1)[0]
    assert "survey_export" in params and "data/raw/x.csv" in params and "notes" not in params
    # the parameters cell itself stays hidden, and the outputs are shown
    assert "survey_export = " not in page and "<td>12</td>" in page and "data:image/png;base64," in page


def test_navigation_links_index_previous_next_and_downloads(site):
    first = pages.list_links((site / STUDY / "clean.html").read_text())
    last = pages.list_links((site / STUDY / "results.html").read_text())
    assert "../index.html" in first and "results.html" in first and "clean.html" not in first
    assert "../index.html" in last and "clean.html" in last and "results.html" not in last
    for links in (first, last):  # the three files written by the fixture under tables/ and figures/
        assert {"tables/published-comparison.csv", "figures/bars.png"} <= set(links)


def test_commit_shown_only_when_known():
    with_commit = pages.page_header("s", "a", ["a"], {}, code_sha256="ff", commit="1" * 40)
    without = pages.page_header("s", "a", ["a"], {}, code_sha256="ff", commit=None)
    assert "1" * 40 in with_commit and "commit" not in without and "ff" in without


def test_commit_is_the_last_one_that_changed_the_code():
    git = shutil.which("git")
    if not git:
        pytest.skip("git is not installed")
    # Independent source: git rev-list (the module uses git log) over the code folders (src, studies).
    done = subprocess.run(
        [git, "rev-list", "-1", "HEAD", "--", "src", "studies"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not done.stdout.strip():
        pytest.skip("not a git checkout")
    assert pages.current_commit() == done.stdout.strip()


def test_pages_are_the_same_bytes_when_rendered_again(site, tmp_path):
    parameters = {"study": STUDY, "title": "An invented <study>"}
    other = tmp_path / "again"
    shutil.copytree(site / STUDY, other)
    pages.write_pages(STUDY, NOTEBOOKS, parameters, other, code_sha256=CODE_HASH)
    again = (other / "clean.html").read_bytes()
    pages.write_pages(STUDY, NOTEBOOKS, parameters, other, code_sha256=CODE_HASH)
    assert (other / "clean.html").read_bytes() == again


def test_index_has_one_card_per_study_with_status_links_and_collapsed_hashes(site):
    index = (site / "index.html").read_text()
    assert index.count('<section class="card">') == 1
    # the fixture's comparison has 2 rows, one with match True: 1 of 2 (counted by hand)
    assert "1 of 2 published figures reproduced" in index
    links = pages.list_links(index)
    assert f"{STUDY}/clean.html" in links and f"{STUDY}/results.html" in links
    details = index.split("<details>", 1)[1].split("</details>", 1)[0]
    assert "ab" * 32 in details and "data/raw/x.csv" in details


def test_regenerated_reports_are_self_contained_and_their_links_resolve(regenerated):
    """Every page of the regenerated reports: nothing from the network, every link resolves."""
    assert pages.find_link_problems(regenerated / "reports") == []


# ----------------------------------------------------------------------------- headless Chromium
def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


class _Recorder:
    """A local 'proxy' that records every connection and answers none: with Chromium's
    proxy pointed at it, any request for a resource outside the page is seen here."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    data = conn.recv(1024)
                except OSError:
                    self.requests.append(b"?")
                    continue
                # A connection closed before sending a byte asks for nothing (Chromium,
                # busy, opens spare ones to its proxy and drops them on exit).
                if data:
                    self.requests.append(data)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


def _open_offline(chromium: str, page: Path, proxy_port: int, profile: Path) -> None:
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-domain-reliability",
            "--no-pings",
            "--disable-client-side-phishing-detection",
            "--disable-features=NetworkTimeServiceQuerying,Translate,MediaRouter,OptimizationHints",
            f"--user-data-dir={profile}",
            f"--proxy-server=http://127.0.0.1:{proxy_port}",
            "--proxy-bypass-list=<-loopback>",
            "--virtual-time-budget=3000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


def _hosts(requests: list[bytes]) -> set[str]:
    """The host of each recorded request (``Host:`` header, or the target of a CONNECT)."""
    hosts = set()
    for raw in requests:
        lines = raw.decode("latin-1").split("\r\n")
        host = next((line.split(":", 1)[1].strip() for line in lines[1:] if line.lower().startswith("host:")), None)
        if host is None and lines[0].startswith("CONNECT "):
            host = lines[0].split()[1]
        hosts.add((host or lines[0]).rsplit(":443", 1)[0])
    return hosts


def test_chromium_requests_nothing_from_outside(site, tmp_path):
    chromium = _chromium()
    if not chromium:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")
    recorder = _Recorder()
    port = recorder.sock.getsockname()[1]
    try:
        # Chromium's own background requests (update and time checks) are made whatever
        # the page: recorded from an empty local page, and set aside by host.
        blank = tmp_path / "blank.html"
        blank.write_text("<html><body>blank</body></html>")
        _open_offline(chromium, blank, port, tmp_path / "profile-blank")
        own = _hosts(recorder.requests)
        # The check can fail: a page that loads an external script is seen by the recorder.
        recorder.requests.clear()
        bad = tmp_path / "bad.html"
        bad.write_text('<html><body><script src="http://cdn.invalid/x.js"></script></body></html>')
        _open_offline(chromium, bad, port, tmp_path / "profile-bad")
        assert "cdn.invalid" in _hosts(recorder.requests) - own
        for page in sorted(site.rglob("*.html")):
            recorder.requests.clear()
            _open_offline(chromium, page, port, tmp_path / "profile")
            outside = _hosts(recorder.requests) - own
            assert outside == set(), f"{page.name} requested {sorted(outside)} (Chromium's own: {sorted(own)})"
    finally:
        recorder.close()


@pytest.mark.parametrize("notebook", ["results-survey", "code"])
def test_a_page_is_the_document_nbconverts_html_exporter_makes(notebook):
    """The pages skip the exporter's BeautifulSoup pass (parse and rewrite the page) and
    make its two changes on the template's tags: parsed, a page is the very document
    nbconvert's own HTMLExporter writes (its outputs focusable, its images with an
    alternative text), for a stored notebook with tables, text and figures."""
    from bs4 import BeautifulSoup
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = nbformat.read(PROJECT_ROOT / "notebooks" / f"{notebook}.ipynb", as_version=4)
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"parameters", "injected-parameters"}
    loader = DictLoader({"peerstudy.html.j2": pages._TEMPLATE})
    reference = HTMLExporter(config=config, template_name="lab", extra_loaders=[loader])
    reference.template_file = "peerstudy.html.j2"
    reference.exclude_input = reference.exclude_input_prompt = reference.exclude_output_prompt = True
    resources = {"metadata": {"name": notebook}, "page_header": "<p>header</p>", "page_css": pages._CSS}
    expected, _ = reference.from_notebook_node(nb, resources=dict(resources))
    page = pages.render_html(nb, notebook, "<p>header</p>").decode()
    assert str(BeautifulSoup(page, features="html.parser")) == expected
    assert page.count('tabindex="0"') == expected.count('tabindex="0"') > 0
