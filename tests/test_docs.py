"""The README and the docs/ pages: links that lead somewhere, and a quick start that is the real one."""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import typer.main
from markdown_it import MarkdownIt
from markdown_it.token import Token

from triage.cli import _register, app

REPO = Path(__file__).resolve().parent.parent
PAGES = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])
MARKDOWN = MarkdownIt("commonmark").enable("table")


def _tokens(page: Path) -> list[Token]:
    return MARKDOWN.parse(page.read_text(encoding="utf-8"))


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _links(page: Path) -> list[str]:
    """Every link and image target of a page, as a Markdown renderer sees them (code is not a link)."""
    targets = []
    for token in _walk(_tokens(page)):
        if token.type == "link_open":
            targets.append(str(token.attrs["href"]))
        elif token.type == "image":
            targets.append(str(token.attrs["src"]))
    return targets


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces become hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    tokens = _tokens(page)
    for opening, inline in itertools.pairwise(tokens):
        if opening.type != "heading_open":
            continue
        text = "".join(
            child.content for child in inline.children or [] if child.type in ("text", "code_inline")
        )
        slug = _slug(text)
        anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def _relative_links() -> list[tuple[Path, str]]:
    found = []
    for page in PAGES:
        for target in _links(page):
            parts = urlsplit(target)
            if parts.scheme or parts.netloc:
                continue
            found.append((page, target))
    return found


def test_the_pages_have_relative_links_to_check() -> None:
    linked = {page.name for page, _ in _relative_links()}
    assert {"README.md", "administration.md", "rapport-annuel.md"} <= linked


@pytest.mark.parametrize(
    ("page", "target"), _relative_links(), ids=lambda value: value.name if isinstance(value, Path) else value
)
def test_relative_link_leads_to_a_file_of_the_repository(page: Path, target: str) -> None:
    parts = urlsplit(target)
    destination = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    assert destination.is_relative_to(REPO), f"{page.name}: {target} leaves the repository"
    assert destination.exists(), f"{page.name}: {target} leads to no file"
    if parts.fragment:
        assert destination.suffix == ".md", (
            f"{page.name}: {target} has an anchor into a file that is not a page"
        )
        assert unquote(parts.fragment) in _anchors(destination), (
            f"{page.name}: {target} names no heading of {destination.name}"
        )


def test_every_docs_page_is_reachable_from_the_readme() -> None:
    linked = {
        (REPO / unquote(urlsplit(target).path)).resolve()
        for target in _links(REPO / "README.md")
        if not urlsplit(target).scheme and urlsplit(target).path
    }
    unlinked = [page.name for page in (REPO / "docs").glob("*.md") if page.resolve() not in linked]
    assert not unlinked, f"add a link to these pages in README.md: {unlinked}"


def _quick_start_commands() -> list[str]:
    tokens = _tokens(REPO / "README.md")
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and tokens[index + 1].content == "Démarrage rapide":
            fence = next(t for t in tokens[index:] if t.type == "fence")
            lines = [line.split("#", 1)[0].strip() for line in fence.content.splitlines()]
            return [line for line in lines if line]
    raise AssertionError("README.md has no « Démarrage rapide » section")


def _script_commands(path: Path) -> list[list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        shlex.split(line, comments=True)
        for line in lines
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_quick_start_is_two_commands_setup_with_the_main_job_then_the_tests() -> None:
    assert _quick_start_commands() == ["bash scripts/quickstart.sh", "bash scripts/test.sh"]
    quickstart = _script_commands(REPO / "scripts" / "quickstart.sh")
    assert ["bash", "scripts/setup.sh"] in quickstart
    assert quickstart[-1][:3] == ["exec", ".venv/bin/mediature", "demo"]


def test_ci_runs_the_test_command_of_the_readme() -> None:
    ci = _script_commands(REPO / ".ci" / "run")
    assert any(command[:2] == ["bash", "scripts/test.sh"] for command in ci), (
        ".ci/run must call scripts/test.sh"
    )
    test_script = _script_commands(REPO / "scripts" / "test.sh")
    assert ["bash", "scripts/setup.sh"] in [command[:2] for command in test_script]
    assert any(".venv/bin/python" in command and "pytest" in command for command in test_script)


COMMAND = re.compile(
    r"(?:^|\|\s*|/bin/|\b[A-Z_]+=\S*\s+)mediature ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", re.MULTILINE
)


def _documented_commands() -> set[tuple[str, ...]]:
    """`mediature X [Y]` as written in the code spans and code blocks of the README and docs/ pages."""
    found: set[tuple[str, ...]] = set()
    for page in PAGES:
        for token in _walk(_tokens(page)):
            if token.type in ("code_inline", "fence", "code_block"):
                for match in COMMAND.finditer(token.content):
                    found.add(tuple(word for word in match.groups() if word))
    return found


def test_the_pages_name_commands_to_check() -> None:
    assert {("queue",), ("scan", "add"), ("mailbox", "check")} <= {
        words[:2] for words in _documented_commands()
    }


def test_every_command_the_pages_name_exists() -> None:
    _register()
    root = typer.main.get_command(app)
    unknown = []
    for words in sorted(_documented_commands()):
        command = root.commands.get(words[0])  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if command is None or (subcommands and len(words) > 1 and words[1] not in subcommands):
            unknown.append(" ".join(words))
    assert not unknown, f"the docs name commands that `mediature` does not have: {unknown}"
