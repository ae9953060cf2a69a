"""`python -m casebook.reference`: write the generated reference into docs/."""

from __future__ import annotations

from casebook.reference import DOCS, write


def main() -> None:
    """Write the pages and say which changed."""
    changed = write(DOCS)
    print(f"docs/: {', '.join(changed)} written." if changed else "docs/ is up to date.")


if __name__ == "__main__":
    main()
