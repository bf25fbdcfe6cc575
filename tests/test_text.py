from ingest.text import collapse_spaces, near_duplicate, normalize_text, word_count


def test_collapse_spaces_drops_invisible_but_keeps_persian_zwnj():
    assert collapse_spaces("a\u00a0 b\u200b c\ufeff") == "a b c"
    assert collapse_spaces("اعتراض\u200cها") == "اعتراض\u200cها"


def test_normalize_text_keeps_paragraphs():
    assert normalize_text("Cafe\u0301 &amp; co\n\n\n  next\tline ") == "Café & co\n\nnext line"


def test_near_duplicate_caption_variants():
    caption = "Families at the mullahs' regime offices in Ashraf"
    assert near_duplicate(caption, caption.replace("'", "’"))
    assert near_duplicate(caption, caption + " 3")
    assert not near_duplicate(caption, "A view of the main square in Tehran")


def test_collapse_spaces_joins_every_unicode_space_separator():
    spaces = "\t\n\r\x0b\x0c\u00a0\u1680\u2000\u2005\u200a\u2028\u202f\u205f\u3000"
    assert collapse_spaces(f"{spaces}one{spaces}two  three{spaces}") == "one two three"


def test_word_count_counts_scripts_written_without_spaces():
    assert word_count("The council met on Tuesday evening.") == 6
    assert word_count("شورای شهر روز سه‌شنبه تشکیل جلسه داد") == 7
    assert word_count("港务局周一投票决定关闭旧鱼市场") == 1 + 15 // 2
    assert word_count("市場は月曜日に閉鎖される") == 1 + 12 // 2
    assert word_count("") == 0
