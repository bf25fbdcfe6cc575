"""The language a page's text is written in, guessed from its function words: for the
date parser, which reads dates in words much faster when it knows which languages to try.

The word lists are jusText's stoplists (a dependency of trafilatura): the frequent words
of each of about 100 languages' Wikipedias."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import chain

# jusText's list names, as ISO 639 codes, for the languages dateparser knows (the guess is
# used for nothing else). Varieties share a code.
STOPLIST_CODES = {
    "Afrikaans": "af", "Albanian": "sq", "Arabic": "ar", "Armenian": "hy", "Asturian": "ast",
    "Azerbaijani": "az", "Basque": "eu", "Belarusian": "be", "Belarusian_Taraskievica": "be",
    "Bengali": "bn", "Bosnian": "bs", "Breton": "br", "Bulgarian": "bg", "Catalan": "ca",
    "Croatian": "hr", "Czech": "cs", "Danish": "da", "Dutch": "nl", "English": "en",
    "Esperanto": "eo", "Estonian": "et", "Finnish": "fi", "French": "fr", "Galician": "gl",
    "Georgian": "ka", "German": "de", "Greek": "el", "Gujarati": "gu", "Hebrew": "he",
    "Hindi": "hi", "Hungarian": "hu", "Icelandic": "is", "Igbo": "ig", "Indonesian": "id",
    "Irish": "ga", "Italian": "it", "Kannada": "kn", "Kazakh": "kk", "Korean": "ko",
    "Kyrgyz": "ky", "Latvian": "lv", "Lithuanian": "lt", "Luxembourgish": "lb",
    "Macedonian": "mk", "Malay": "ms", "Malayalam": "ml", "Maltese": "mt", "Marathi": "mr",
    "Nepali": "ne", "Norwegian_Bokmal": "nb", "Norwegian_Nynorsk": "nn", "Persian": "fa",
    "Polish": "pl", "Portuguese": "pt", "Quechua": "qu", "Romanian": "ro", "Russian": "ru",
    "Serbian": "sr", "Serbo_Croatian": "hr", "Simple_English": "en", "Slovak": "sk",
    "Slovenian": "sl", "Spanish": "es", "Swahili": "sw", "Swedish": "sv", "Tagalog": "fil",
    "Tamil": "ta", "Telugu": "te", "Turkish": "tr", "Ukrainian": "uk", "Urdu": "ur",
    "Uzbek": "uz", "Vietnamese": "vi", "Welsh": "cy", "West_Frisian": "fy", "Yoruba": "yo",
}
WORD = re.compile(r"[^\W\d_]+")
MAX_WORDS = 300
# A guess needs this many function words, and this share of the text's words...
MIN_HITS = 8
MIN_SHARE = 0.15
# ...and languages this close to the best are kept too (Danish and Norwegian, Czech and
# Slovak share most of their function words).
CLOSE = 0.8


@lru_cache(maxsize=1)
def word_lists() -> dict[str, tuple[str, ...]]:
    """Each stop word: the lists holding it. The lists are drawn from Wikipedias, where
    English titles and names abound: English words count for English only. Empty (no
    guess) without jusText."""
    try:
        import justext
    except ImportError:
        return {}

    english = {token for word in justext.get_stoplist("English") for token in WORD.findall(word.lower())}
    index: dict[str, set[str]] = {}
    for name in justext.get_stoplists():
        for word in justext.get_stoplist(name):
            for token in WORD.findall(word.lower()):
                if STOPLIST_CODES.get(name) == "en" or token not in english:
                    index.setdefault(token, set()).add(name)
    return {word: tuple(sorted(names)) for word, names in index.items()}


def guess_languages(text: str) -> tuple[str, ...]:
    """The languages the text is most likely in, best first; () when the text is too short
    or too mixed to tell, or its best guess is a language without a code here."""
    lists = word_lists()
    words = WORD.findall(text[:MAX_WORDS * 12].lower())[:MAX_WORDS]
    listed = [names for word in words if (names := lists.get(word))]
    if len(listed) < MIN_HITS or len(listed) < MIN_SHARE * len(words):
        return ()
    ranked = Counter(chain.from_iterable(listed)).most_common()
    best_name, best = ranked[0]
    if best_name not in STOPLIST_CODES:
        return ()
    codes: list[str] = []
    for name, score in ranked:
        if score < CLOSE * best:
            break
        code = STOPLIST_CODES.get(name)
        if code and code not in codes:
            codes.append(code)
    return tuple(codes)
