"""Word-level diffs: the summary a change event carries, and the inline diff `presswatch diff` shows."""

from __future__ import annotations

from datetime import date

from storage.textdiff import inline_diff, version_diff, word_diff

WORDS = " ".join(f"w{i}" for i in range(40))


def test_word_diff_counts_and_snippets() -> None:
    summary = word_diff("From 30 States met on Monday", "From 35 States met on Monday in Vienna")
    assert (summary["words_added"], summary["words_removed"]) == (3, 1)
    assert summary["added"] == ["35", "in Vienna"] and summary["removed"] == ["30"]


def test_version_diff_names_the_fields_that_changed() -> None:
    old = ("Experts meet", date(2008, 7, 17), "Body.")
    assert version_diff(old, ("Experts meet", date(2008, 7, 18), "Body."))["fields"] == [
        "published"
    ]
    summary = version_diff(old, ("Experts met", date(2008, 7, 17), "Body."))
    assert summary["title"] == {"old": "Experts meet", "new": "Experts met"}


def test_inline_diff_keeps_context_around_each_change_and_paragraphs() -> None:
    old = f"{WORDS}\n\nThe second paragraph stays."
    new = old.replace("w20", "CHANGED").replace("stays", "moves")
    assert inline_diff(old, new, context=3) == [
        ("…", "…"), ("=", "w17 w18 w19"), ("-", "w20"), ("+", "CHANGED"), ("=", "w21 w22 w23"),
        ("…", "…"), ("=", "The second paragraph"), ("-", "stays."), ("+", "moves."),
    ]  # fmt: skip


def test_inline_diff_of_a_new_paragraph_and_of_equal_texts() -> None:
    assert inline_diff("One two.", "One two.\n\nThree four.") == [
        ("=", "One two."), ("+", "\n\nThree four."),
    ]  # fmt: skip
    assert inline_diff("One  two.\nthree", "One two. three") == []  # only whitespace differs
