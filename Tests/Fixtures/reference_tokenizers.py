"""Reference values for SoftPromptTokenizers, produced with Hugging Face `tokenizers`.

Two products:

* ``make(fixtures_dir, shared_data_dir, model_dir)`` writes
  ``Tests/SoftPromptTokenizersTests/Fixtures/tokenizer_reference.json`` (see ``fixture_path``) with
  HF ``Tokenizer.from_file(<model_dir>/tokenizer.json)``, padding off:
  - ``files``: for every GLUE/SuperGLUE text field in ``shared_data_dir`` (pairing in ``PAIRING_NOTES``), with
    truncation LongestFirst to 128: the row count, the SHA-256 of the canonical id lines (``HASH_DEFINITION``)
    and the ids of the first 50 rows;
  - ``tricky``: hand-written strings (Unicode corner cases, long words, punctuation, truncation of pairs) with
    ids, tokens, type ids, HF's normalized text, its pre-tokenized words and ``decode(ids)``;
  - ``random``: 300 seeded random strings and pairs with ids and type ids;
  - ``tiny``: a small tokenizer.json built here (non-default normalizer flags, BertProcessing, added tokens
    with lstrip/rstrip/single_word/normalized) and its encodings, so those paths are tested without a model.
  ``Tests/Fixtures/make_reference.py`` imports this module and calls ``make``.

* ``write_unicode_tables(swift_path)`` writes ``Sources/SoftPromptTokenizers/BertUnicodeTables.swift``: the
  per-code-point behaviour of HF's BertNormalizer / BertPreTokenizer, measured by running every code point
  through `tokenizers` itself. HF mixes Unicode versions (the `unicode_categories` crate for control,
  punctuation and Mn; Rust std for whitespace and lowercase; `unicode-normalization-alignments` for NFD),
  so reading the tables off the library is the only way to agree with it on every code point, independent
  of the Unicode version of the Swift toolchain.

Run alone:
    python reference_tokenizers.py fixtures [model_dir]   # tokenizer_reference.json
    python reference_tokenizers.py tables                 # BertUnicodeTables.swift
"""

import hashlib
import json
import os
import sys
import unicodedata

MAX_LENGTH = 128
FIRST_ROWS = 50

HASH_DEFINITION = (
    "For each row, in file order: the ids of the encoding (special tokens included, no padding, truncation "
    "LongestFirst to max_length) as decimal integers joined by ','; for a pair entry followed by '|' and the "
    "type ids joined by ','; then '\\n'. SHA-256 of the UTF-8 bytes of all rows concatenated, lower-case hex."
)

# ---------------------------------------------------------------------------------------------------------
# Data files and the text fields taken from them.
#
# reader "tsv":   split the UTF-8 text on '\n' (a final empty line is dropped), fields on '\t', no quoting;
#                 "header" says whether the first line is a header; "columns" are 0-based field indices.
# reader "jsonl": one JSON object per non-empty line; "fields" are top-level string keys.
# reader "multirc-passage" / "multirc-question" / "multirc-answer": one row per passage (passage.text),
#                 per question (passage.questions[].question) or per answer (…answers[].text).
# One column/field: encode(text). Two: encode(first, second) as a pair.
# ---------------------------------------------------------------------------------------------------------
PAIRING_NOTES = {
    "SST-2": "single: sentence",
    "CoLA": "single: sentence (column 4 of 4, no header)",
    "MRPC": "pair: (#1 String, #2 String)",
    "STS-B": "pair: (sentence1, sentence2)",
    "RTE": "pair: (sentence1, sentence2) in GLUE, (premise, hypothesis) in SuperGLUE",
    "QNLI": "pair: (question, sentence)",
    "BoolQ": "pair: (question, passage)",
    "CB": "pair: (premise, hypothesis)",
    "COPA": "singles: premise, choice1, choice2",
    "WiC": "pair: (sentence1, sentence2)",
    "WSC": "single: text",
    "MultiRC": "singles: passage.text, questions[].question, questions[].answers[].text",
}


def data_entries():
    entries = []

    def tsv(path, header, names, columns):
        entries.append({"file": path, "reader": "tsv", "header": header, "columns": columns,
                        "fields": names})

    def jsonl(path, fields):
        entries.append({"file": path, "reader": "jsonl", "fields": fields})

    for split in ("train", "dev"):
        tsv(f"glue/SST-2/{split}.tsv", True, ["sentence"], None)
        tsv(f"glue/CoLA/{split}.tsv", False, ["sentence"], [3])
        tsv(f"glue/MRPC/{split}.tsv", True, ["#1 String", "#2 String"], None)
        tsv(f"glue/STS-B/{split}.tsv", True, ["sentence1", "sentence2"], None)
        tsv(f"glue/RTE/{split}.tsv", True, ["sentence1", "sentence2"], None)
    tsv("glue/QNLI/dev.tsv", True, ["question", "sentence"], None)
    jsonl("superglue/BoolQ/val.jsonl", ["question", "passage"])
    for split in ("train", "val"):
        jsonl(f"superglue/CB/{split}.jsonl", ["premise", "hypothesis"])
        for field in ("premise", "choice1", "choice2"):
            jsonl(f"superglue/COPA/{split}.jsonl", [field])
        jsonl(f"superglue/WiC/{split}.jsonl", ["sentence1", "sentence2"])
        jsonl(f"superglue/RTE/{split}.jsonl", ["premise", "hypothesis"])
        jsonl(f"superglue/WSC/{split}.jsonl", ["text"])
        for unit in ("passage", "question", "answer"):
            entries.append({"file": f"superglue/MultiRC/{split}.jsonl", "reader": f"multirc-{unit}",
                            "fields": [{"passage": "passage.text", "question": "passage.questions[].question",
                                        "answer": "passage.questions[].answers[].text"}[unit]]})
    return entries


def read_rows(data_dir, entry):
    """Yields the text tuples of one entry, in file order."""
    with open(os.path.join(data_dir, entry["file"]), "rb") as f:
        text = f.read().decode("utf-8")
    reader = entry["reader"]
    if reader == "tsv":
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if entry["header"]:
            header = lines[0].split("\t")
            if entry["columns"] is None:
                # A BOM may start the header (MRPC); it belongs to the first name only.
                names = [h.lstrip("\ufeff") for h in header]
                entry["columns"] = [names.index(n) for n in entry["fields"]]
            lines = lines[1:]
        for line in lines:
            fields = line.split("\t")
            yield tuple(fields[c] for c in entry["columns"])
        return
    for line in text.split("\n"):
        if line.strip() == "":
            continue
        record = json.loads(line)
        if reader == "jsonl":
            yield tuple(record[k] for k in entry["fields"])
        elif reader == "multirc-passage":
            yield (record["passage"]["text"],)
        elif reader == "multirc-question":
            for q in record["passage"]["questions"]:
                yield (q["question"],)
        elif reader == "multirc-answer":
            for q in record["passage"]["questions"]:
                for a in q["answers"]:
                    yield (a["text"],)
        else:
            raise ValueError(reader)


def canonical_line(encoding, is_pair):
    line = ",".join(str(i) for i in encoding.ids)
    if is_pair:
        line += "|" + ",".join(str(t) for t in encoding.type_ids)
    return line + "\n"


# ---------------------------------------------------------------------------------------------------------
# Hand-written tricky strings. (name, text, pair, max_length); max_length None = no truncation.
# ---------------------------------------------------------------------------------------------------------
def tricky_cases():
    long_pair_a = ("The committee, after a long and heated debate that lasted well into the night, finally "
                   "agreed on the budget.")
    long_pair_b = "Nobody was happy with the compromise, but everyone signed it anyway."
    cases = [
        ("plain sentence", "Hello, world! How are you today?", None, None),
        ("empty string", "", None, None),
        ("only spaces", "   \t  \n ", None, None),
        ("leading and trailing spaces", "   leading and trailing   ", None, None),
        ("wordpiece continuation", "unaffable tokenization hyperparameters", None, None),
        ("added token mask in text", "hello [MASK] world", None, None),
        ("added tokens lower case are not matched", "[sep] [cls] [mask] [Mask]", None, None),
        ("added tokens adjacent", "[CLS][SEP][PAD][UNK][MASK]", None, None),
        ("added token glued to words", "a[MASK]b x[SEP]y [MASK]!", None, None),
        ("added token with inner spaces", "[ MASK ] [MASK ] [MASK", None, None),
        ("dotted capital I", "İstanbul İ i̇", None, None),
        ("dotless i and Turkish", "ı I i İ KIRIKKALE", None, None),
        ("capital sharp s", "STRASSE ẞ straße", None, None),
        ("greek final sigma", "ΟΔΥΣΣΕΥΣ σοφός ΣΑΣ", None, None),
        ("greek tonos", "ΆΈΉΊΌΎΏ ΐ ΰ", None, None),
        ("ligatures", "ﬁne ﬂow ﬀ ﬃ ﬆ", None, None),
        ("titlecase digraphs", "ǅemal ǈ ǋ Ǳ", None, None),
        ("zwj emoji family", "👨‍👩‍👧‍👦 family", None, None),
        ("emoji skin tone and flags", "👍🏽 🇺🇸 ❤️ 🥰", None, None),
        ("emoji inside word", "hello🥰world", None, None),
        ("combining accents", "e\u0301 cafe\u0301 résumé naïve", None, None),
        ("combining marks out of canonical order", "a\u0301\u0316 o\u0316\u0301 q\u0345\u0334", None, None),
        ("angstrom and ring", "A\u030A Å Å", None, None),
        ("vietnamese", "Tiếng Việt có dấu", None, None),
        ("chinese", "我爱北京天安门。中文分词！", None, None),
        ("chinese mixed with latin", "BERT模型很好用abc", None, None),
        ("cjk extension and compatibility", "\U00020000\U0002A700\U0002B820\U0002B920\uF900\U0002F800", None, None),
        ("japanese", "日本語のテキスト、カタカナとひらがな。", None, None),
        ("korean hangul", "한국어 텍스트", None, None),
        ("arabic with harakat", "مرحبا بالعالم مُحَمَّد", None, None),
        ("hebrew with niqqud", "שָׁלוֹם עוֹלָם", None, None),
        ("thai", "ภาษาไทยง่ายนิดเดียว", None, None),
        ("devanagari", "हिन्दी भाषा", None, None),
        ("cyrillic", "Привет, Мир! Ёлка", None, None),
        ("zero width characters", "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom\u2060wj\u180emvs", None, None),
        ("soft hyphen", "co\u00adoperate", None, None),
        ("tabs and newlines", "tabs\tand\nnewlines\r\nhere\u000bvt\u000cff", None, None),
        ("unicode spaces", "a\u00a0b\u3000c\u2009d\u2028e\u0085f\u1680g", None, None),
        ("nul character", "nul\u0000char", None, None),
        ("replacement character", "replacement\ufffdchar", None, None),
        ("control characters", "bell\u0007esc\u001b\u001cfs\u007fdel\u009fapc", None, None),
        ("private use and unassigned", "\ue000x \U0010FFFD y \u0378 z", None, None),
        ("fullwidth forms", "ＡＢＣ１２３！", None, None),
        ("fractions and superscripts", "½ ¼ x² ³ ⅻ Ⅻ ①", None, None),
        ("math alphanumerics", "𝐇𝐞𝐥𝐥𝐨 𝔘𝔫𝔦", None, None),
        ("word of 100 chars", "x" * 100, None, None),
        ("word of 101 chars", "x" * 101, None, None),
        ("word of 100 accented chars", "é" * 100, None, None),
        ("word of 101 accented chars", "é" * 101, None, None),
        ("word of 100 chars with a combining mark", "a" * 100 + "\u0301", None, None),
        ("punctuation runs", "!!!???...,,,;;;---((()))", None, None),
        ("ascii symbols", "$ + < = > ^ ` | ~ @ # % & * _ \\ / { }", None, None),
        ("unicode punctuation", "¿Qué pasó? ¡Ay! «quotes» „German“ ‘single’ —dash– … · §¶", None, None),
        ("symbols that are not punctuation", "© ® ™ ° ± € £ ¥ ¢", None, None),
        ("numbers", "3.14159 1,000,000 2023-10-05 $5.00 50% 1st 42nd", None, None),
        ("url and email", "see https://example.com/path?query=1&x=y#frag or mail someone@example.org",
         None, None),
        ("contractions", "don't can't won't it's I'm y'all", None, None),
        ("programming", "C++ C# .NET x=y+1; f(a,b)", None, None),
        ("pair without truncation", "The quick brown fox", "jumps over the lazy dog.", None),
        ("pair with empty second", "Only the first sentence.", "", None),
        ("pair longest first both long", long_pair_a, long_pair_b, 16),
        ("pair longest first short first", "Short one.", long_pair_a, 16),
        ("pair longest first short second", long_pair_a, "Short one.", 16),
        ("pair longest first equal lengths", "one two three four five six seven eight nine ten",
         "ten nine eight seven six five four three two one", 16),
        ("pair longest first odd budget", "one two three four five six seven eight nine ten",
         "ten nine eight seven six five four three two one", 17),
        ("pair longer than budget on one side", "a b", long_pair_a + " " + long_pair_b, 16),
        ("pair that fits exactly", "a b c d e f", "g h i j k l m", 16),
        ("single truncation", long_pair_a, None, 16),
        ("single truncation to specials only", "some words here", None, 2),
        ("pair truncation to specials only", "some words", "other words", 3),
        ("single at default max length", " ".join(["word"] * 200), None, 128),
        ("truncation keeps added tokens as tokens", "[MASK] " * 20, None, 16),
    ]
    return cases


def random_cases(count=300, seed=20241122):
    """Seeded random strings mixing ASCII, accents, combining marks (in and out of canonical order), many
    scripts, CJK, Hangul, emoji, controls, odd spaces, any code point at all, and pieces of special tokens;
    a third of them pairs, with assorted max lengths. Written with ids and type ids only."""
    import random
    rng = random.Random(seed)
    pools = [
        (30, lambda: rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")),
        (10, lambda: rng.choice(" \t\n\r.,;:!?'\"()[]{}<>#$%&*+-=/\\^_`|~@")),
        (5, lambda: chr(rng.randint(0xA0, 0x24F))),
        (8, lambda: chr(rng.randint(0x300, 0x36F))),
        (3, lambda: chr(rng.randint(0x370, 0x52F))),
        (2, lambda: chr(rng.randint(0x590, 0x6FF))),
        (2, lambda: chr(rng.randint(0x900, 0xDFF))),
        (2, lambda: chr(rng.randint(0x1100, 0x11FF))),
        (2, lambda: chr(rng.randint(0x1D00, 0x1FFF))),
        (2, lambda: chr(rng.randint(0x2000, 0x2BFF))),
        (2, lambda: chr(rng.randint(0x3000, 0x30FF))),
        (3, lambda: chr(rng.randint(0x4E00, 0x9FFF))),
        (2, lambda: chr(rng.randint(0xAC00, 0xD7A3))),
        (2, lambda: chr(rng.randint(0xF900, 0xFFFF))),
        (2, lambda: chr(rng.randint(0x1F300, 0x1FAFF))),
        (3, lambda: chr(rng.choice([0, 0xFFFD, 0x200B, 0x200D, 0xFEFF, 0x85, 0xA0, 0x3000, 0x130, 0x1E9E, 0x3A3,
                                    0xFB01, 0x1D165, 0x1D16D, 0x1D15E, 0x0F73, 0x0344, 0x07FD, 0x1AB0]))),
        (5, lambda: chr(rng.choice([rng.randint(0, 0xD7FF), rng.randint(0xE000, 0x10FFFF),
                                    rng.randint(0x1D100, 0x1D1FF)]))),
        (3, lambda: rng.choice(["[MASK]", "[SEP]", "[CLS]", "[PAD]", "[UNK]", "[sep]", "[MASK", "MASK]"])),
        (10, lambda: rng.choice(["the", "hello", "unaffable", "tokenization", "world", "résumé", "naïve"])),
    ]
    weights = [w for w, _ in pools]

    def text():
        return "".join(rng.choices(pools, weights)[0][1]() for _ in range(rng.randint(0, 60)))

    cases = []
    for _ in range(count):
        first = text()
        second = text() if rng.random() < 0.3 else None
        cases.append((first, second, rng.choice([None, None, 8, 16, 32, 128])))
    return cases


# ---------------------------------------------------------------------------------------------------------
# A tiny tokenizer built here (so the test needs no model): non-default BertNormalizer flags
# (no lowercase, strip_accents explicitly on, no Chinese handling), BertProcessing, and added tokens with
# every option: lstrip/rstrip, single_word, normalized, and one not in the vocabulary (HF numbers it).
# ---------------------------------------------------------------------------------------------------------
def tiny_tokenizer():
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, AddedToken
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "The", "un", "##aff", "##able", "a", "##a",
             "b", "##b", "c", "##c", "word", "words", "##s", "hello", "Hello", "cafe", "!", ",", ".", "?", "ab",
             "##ab", "abc", "e", "##e", "é", "中", "文", "中文"]
    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=8))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=True,
                                                lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.BertProcessing(("[SEP]", 3), ("[CLS]", 2))
    tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.add_tokens([AddedToken("<lr>", lstrip=True, rstrip=True, normalized=False),
                    AddedToken("sw", single_word=True, normalized=False),
                    AddedToken("Héllo", normalized=True),
                    AddedToken("new_token", normalized=False),
                    AddedToken("new_token_longer", normalized=False)])
    return tok


def tiny_reference():
    tok = tiny_tokenizer()
    cases = [
        ("The unaffable", None, None),
        ("the Hello hello", None, None),
        ("café cafe\u0301", None, None),
        ("abcabc abab", None, None),
        ("aaaaaaaa aaaaaaaaa", None, None),
        ("xyz word abx", None, None),
        ("a <lr> b", None, None),
        ("a<lr>b  <lr>  c", None, None),
        ("sw a sw,sw xsw swx", None, None),
        ("Héllo Hello He\u0301llo héllo", None, None),
        ("new_token new_token_longer new_tokens", None, None),
        ("[MASK] [mask] [SEP]", None, None),
        ("中文 中文字", None, None),
        ("The word", "words, words!", None),
        ("The word a b c", "words words words words", 9),
        ("the", "", None),
    ]
    out = []
    for text, pair, max_length in cases:
        e = encode(tok, text, pair, max_length)
        out.append({"text": text, "pair": pair, "max_length": max_length, "ids": e.ids, "tokens": e.tokens,
                    "type_ids": e.type_ids})
    return {"tokenizer_json": tok.to_str(), "cases": out}


def load_tokenizer(model_dir):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()
    return tok


def encode(tok, text, pair, max_length):
    if max_length is None:
        tok.no_truncation()
    else:
        tok.enable_truncation(max_length=max_length, strategy="longest_first")
    return tok.encode(text, pair) if pair is not None else tok.encode(text)


def fixture_path(fixtures_dir=None):
    """The fixture lives in the test target's own resource folder (SwiftPM `resources: [.copy("Fixtures")]`),
    found from this module's location, Tests/Fixtures/; `fixtures_dir` is accepted for the common
    make_reference.py signature and not needed."""
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(tests, "SoftPromptTokenizersTests", "Fixtures", "tokenizer_reference.json")


def make(fixtures_dir, shared_data_dir, model_dir):
    import tokenizers
    tok = load_tokenizer(model_dir)
    with open(os.path.join(model_dir, "tokenizer.json"), "rb") as f:
        tokenizer_sha = hashlib.sha256(f.read()).hexdigest()

    files = []
    for entry in data_entries():
        rows = list(read_rows(shared_data_dir, entry))
        is_pair = len(entry["fields"]) == 2
        digest = hashlib.sha256()
        first = []
        for i, row in enumerate(rows):
            e = encode(tok, row[0], row[1] if is_pair else None, MAX_LENGTH)
            digest.update(canonical_line(e, is_pair).encode("utf-8"))
            if i < FIRST_ROWS:
                first.append(e.ids)
        files.append({
            "file": entry["file"], "reader": entry["reader"], "header": entry.get("header", False),
            "columns": entry.get("columns"), "fields": entry["fields"], "pair": is_pair,
            "rows": len(rows), "sha256": digest.hexdigest(), "first_rows_ids": first,
        })

    tricky = []
    for name, text, pair, max_length in tricky_cases():
        e = encode(tok, text, pair, max_length)
        normalized = tok.normalizer.normalize_str(text)
        words = [w for w, _ in tok.pre_tokenizer.pre_tokenize_str(normalized)]
        tricky.append({"name": name, "text": text, "pair": pair, "max_length": max_length,
                       "ids": e.ids, "tokens": e.tokens, "type_ids": e.type_ids,
                       "normalized": normalized, "pre_tokenized": words, "decoded": tok.decode(e.ids)})

    out = {
        "generator": "Tests/Fixtures/reference_tokenizers.py",
        "tokenizers_version": tokenizers.__version__,
        "tokenizer_json_sha256": tokenizer_sha,
        "max_length": MAX_LENGTH,
        "truncation": "LongestFirst",
        "padding": "none",
        "hash_definition": HASH_DEFINITION,
        "pairing": PAIRING_NOTES,
        "files": files,
        "tricky": tricky,
        "random": [{"text": t, "pair": p, "max_length": m, "ids": e.ids, "type_ids": e.type_ids}
                   for t, p, m in random_cases() for e in [encode(tok, t, p, m)]],
        "tiny": tiny_reference(),
    }
    path = fixture_path(fixtures_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        # One file entry / tricky case per line keeps the diff of a regenerated fixture readable.
        f.write("{\n")
        head = [k for k in out if k not in ("files", "tricky")]
        for k in head:
            f.write(f"  {json.dumps(k)}: {json.dumps(out[k], ensure_ascii=False)},\n")
        for key in ("files", "tricky", "random"):
            f.write(f"  {json.dumps(key)}: [\n")
            items = out[key]
            for i, item in enumerate(items):
                sep = "," if i + 1 < len(items) else ""
                f.write("    " + json.dumps(item, ensure_ascii=False, separators=(",", ":")) + sep + "\n")
            f.write("  ],\n")
        tiny = out["tiny"]
        f.write('  "tiny": {\n')
        f.write(f'    "tokenizer_json": {json.dumps(tiny["tokenizer_json"], ensure_ascii=False)},\n')
        f.write('    "cases": [\n')
        for i, item in enumerate(tiny["cases"]):
            sep = "," if i + 1 < len(tiny["cases"]) else ""
            f.write("      " + json.dumps(item, ensure_ascii=False, separators=(",", ":")) + sep + "\n")
        f.write("    ]\n  }\n}\n")
    return path


# ---------------------------------------------------------------------------------------------------------
# Unicode tables for the Swift BertNormalizer / BertPreTokenizer.
# ---------------------------------------------------------------------------------------------------------
FLAG_REMOVED = 1          # clean_text drops it (NUL, U+FFFD, is_other: Cc/Cf/Co/Cs, except \t \n \r)
FLAG_CLEAN_SPACE = 2      # clean_text maps it to ' '
FLAG_CHINESE = 4          # handle_chinese_chars puts spaces around it
FLAG_PUNCTUATION = 8      # BertPreTokenizer isolates it
FLAG_SPLIT_SPACE = 16     # BertPreTokenizer splits on it (and drops it)
FLAG_LOWERCASE = 32       # lowercase changes it (see the lowercase table)
FLAG_DECOMPOSES = 64      # NFD changes it (see the decomposition table, or Hangul)
FLAG_NONSPACING = 128     # strip_accents drops it after NFD (Mn)
FLAG_COMBINING = 256      # canonical combining class is not 0 (see the combining-class table)

S_BASE, L_BASE, V_BASE, T_BASE = 0xAC00, 0x1100, 0x1161, 0x11A7
L_COUNT, V_COUNT, T_COUNT = 19, 21, 28
N_COUNT = V_COUNT * T_COUNT
S_COUNT = L_COUNT * N_COUNT


def hangul_nfd(cp):
    s = cp - S_BASE
    out = [L_BASE + s // N_COUNT, V_BASE + (s % N_COUNT) // T_COUNT]
    if s % T_COUNT:
        out.append(T_BASE + s % T_COUNT)
    return out


def probe_unicode():
    from tokenizers import normalizers as N, pre_tokenizers as P
    clean = N.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    chinese = N.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    strip = N.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    lower = N.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True)
    nfd = N.NFD()
    pre = P.BertPreTokenizer()

    flags = [0] * 0x110000
    lowercase = {}
    decomposition = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue  # not a Unicode scalar: neither Python→Rust nor a Swift String can carry it
        c = chr(cp)
        f = 0
        r = clean.normalize_str(c)
        if r == "":
            f |= FLAG_REMOVED
        elif r == " ":
            f |= FLAG_CLEAN_SPACE
        elif r != c:
            raise AssertionError(f"clean_text maps U+{cp:04X} to {r!r}")
        r = chinese.normalize_str(c)
        if r == f" {c} ":
            f |= FLAG_CHINESE
        elif r != c:
            raise AssertionError(f"handle_chinese_chars maps U+{cp:04X} to {r!r}")
        d = nfd.normalize_str(c)
        if d != c:
            f |= FLAG_DECOMPOSES
            if not (S_BASE <= cp < S_BASE + S_COUNT):
                decomposition[cp] = [ord(x) for x in d]
            elif [ord(x) for x in d] != hangul_nfd(cp):
                raise AssertionError(f"Hangul U+{cp:04X} does not decompose algorithmically")
        elif strip.normalize_str(c) == "":
            f |= FLAG_NONSPACING
        r = lower.normalize_str(c)
        if r != c:
            f |= FLAG_LOWERCASE
            lowercase[cp] = [ord(x) for x in r]
        p = pre.pre_tokenize_str("a" + c + "a")
        if len(p) == 3 and p[1][0] == c:
            f |= FLAG_PUNCTUATION
        elif len(p) == 2 and p[0][0] == "a" and p[1][0] == "a":
            f |= FLAG_SPLIT_SPACE
        elif len(p) != 1:
            raise AssertionError(f"BertPreTokenizer splits a·U+{cp:04X}·a into {p!r}")
        flags[cp] = f

    # strip_accents on a decomposable code point must equal NFD minus the Mn we found.
    for cp, d in decomposition.items():
        want = "".join(chr(x) for x in d if not flags[x] & FLAG_NONSPACING)
        got = strip.normalize_str(chr(cp))
        if got != want:
            raise AssertionError(f"strip_accents(U+{cp:04X}) = {got!r}, NFD minus Mn = {want!r}")

    # Canonical combining classes: Python's table, kept only where the Rust NFD visibly reorders by it.
    combining = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ccc = unicodedata.combining(chr(cp))
        if ccc == 0:
            continue
        # Against U+0334 (ccc 1) and U+0345 (ccc 240): the mark must move the way its class says.
        m = chr(cp)
        low_ok = nfd.normalize_str("a" + m + "\u0334") == ("a\u0334" + m if ccc > 1 else "a" + m + "\u0334")
        high_ok = nfd.normalize_str("a\u0345" + m) == ("a" + m + "\u0345" if ccc < 240 else "a\u0345" + m)
        if flags[cp] & FLAG_DECOMPOSES:
            continue  # decomposes to marks of its own, which carry the classes
        unknown = (nfd.normalize_str("a" + m + "\u0334") == "a" + m + "\u0334"
                   and nfd.normalize_str("a\u0345" + m) == "a\u0345" + m)
        if unknown:
            continue  # newer than the Rust NFD tables, which give it class 0
        if not (low_ok and high_ok):
            raise AssertionError(f"NFD in tokenizers disagrees with ccc {ccc} of U+{cp:04X}")
        combining[cp] = ccc
        flags[cp] |= FLAG_COMBINING
    return flags, lowercase, decomposition, combining


def write_unicode_tables(swift_path):
    import tokenizers
    flags, lowercase, decomposition, combining = probe_unicode()
    runs = []
    previous = None
    for cp in range(0x110000):
        f = flags[cp] if not (0xD800 <= cp <= 0xDFFF) else FLAG_REMOVED
        if f != previous:
            runs.append(f"{cp:X}:{f:X}")
            previous = f

    def mapping(table):
        return " ".join(f"{cp:X}:" + ".".join(f"{x:X}" for x in out) for cp, out in sorted(table.items()))

    def wrap(s, width=116):
        words, lines, line = s.split(" "), [], ""
        for w in words:
            if line and len(line) + 1 + len(w) > width:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}" if line else w
        lines.append(line)
        return "\n".join("        " + l for l in lines)

    text = f'''// GENERATED by Tests/Fixtures/reference_tokenizers.py (`python reference_tokenizers.py tables`)
// from Hugging Face tokenizers {tokenizers.__version__}. Do not edit by hand.
//
// Every Unicode scalar was run through HF's BertNormalizer (each step alone), NFD normalizer and
// BertPreTokenizer, so these tables are HF's behaviour, not any one Unicode version's: HF takes control,
// punctuation and Mn from an old `unicode_categories` table, whitespace and lowercase from Rust std, and NFD
// from `unicode-normalization-alignments`.

/// HF's per-scalar behaviour for BERT normalization and pre-tokenization, as compact hex text.
enum BertUnicodeTables {{
    /// `start:flags` runs (hex): each run holds until the next start. Flag bits: 1 removed by clean_text,
    /// 2 mapped to ' ' by clean_text, 4 Chinese character, 8 punctuation, 16 pre-tokenizer whitespace,
    /// 32 has a lowercase mapping, 64 has a canonical decomposition, 128 non-spacing mark,
    /// 256 non-zero canonical combining class.
    static let flagRuns = """
{wrap(" ".join(runs))}
        """

    /// `scalar:lower.lower…` (hex): Rust `char::to_lowercase`, where it differs from the scalar.
    static let lowercase = """
{wrap(mapping(lowercase))}
        """

    /// `scalar:d.d…` (hex): full canonical decomposition, except Hangul syllables (algorithmic).
    static let decomposition = """
{wrap(mapping(decomposition))}
        """

    /// `scalar:class` (hex): canonical combining class where it is not 0.
    static let combiningClass = """
{wrap(" ".join(f"{cp:X}:{c:X}" for cp, c in sorted(combining.items())))}
        """
}}
'''
    with open(swift_path, "w", encoding="utf-8") as f:
        f.write(text)
    return swift_path


def default_model_dir():
    env = os.environ.get("SOFTPROMPT_MODEL")
    if env:
        return env
    pointer = os.path.expanduser("~/.cache/softprompt/default-model-dir")
    with open(pointer, encoding="utf-8") as f:
        return f.read().strip()


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    package = os.path.dirname(os.path.dirname(here))
    command = sys.argv[1] if len(sys.argv) > 1 else "fixtures"
    if command == "tables":
        print(write_unicode_tables(os.path.join(package, "Sources", "SoftPromptTokenizers",
                                                "BertUnicodeTables.swift")))
    elif command == "fixtures":
        model_dir = sys.argv[2] if len(sys.argv) > 2 else default_model_dir()
        print(make(here, os.path.join(package, "..", "shared", "data"), model_dir))
    else:
        sys.exit(f"usage: {sys.argv[0]} [fixtures [model_dir] | tables]")
