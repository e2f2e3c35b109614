"""Locate the declarative folders (schemas/, checks/) and the reference pages (docs/), checkout or wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder ``name`` (``schemas``, ``checks`` or ``docs``): shipped in the wheel, or the checkout's top level."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"vogue-pack data folder {name!r} not found; the installation is incomplete")


def doc_topics() -> dict[str, str]:
    """The reference pages ``vogue-pack docs`` prints: topic (file stem) -> title (its first heading)."""
    try:
        folder = data_dir("docs")
    except FileNotFoundError:
        return {}
    topics = {}
    for path in sorted(folder.glob("*.md")):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        topics[path.stem] = first.removeprefix("# ").strip()
    return topics


def read_doc(topic: str) -> str:
    """The Markdown text of the reference page ``topic`` (``cli``, ``findings``, ...); ``KeyError`` if none."""
    name = topic.removesuffix(".md").removeprefix("docs/")
    if name not in doc_topics():
        raise KeyError(topic)
    return (data_dir("docs") / f"{name}.md").read_text(encoding="utf-8")


def render_doc_topics() -> str:
    """The list ``vogue-pack docs`` prints without a topic: one line per page."""
    topics = doc_topics()
    width = max((len(t) for t in topics), default=0)
    lines = [f"  {topic:<{width}}  {title}" for topic, title in topics.items()]
    return "\n".join(["Reference pages (vogue-pack docs TOPIC prints one):", *lines]) + "\n"
