"""Reference values for SoftPromptTokenizers' UnigramTokenizer, produced with Hugging Face `tokenizers`.

Writes into Tests/SoftPromptTokenizersTests/Fixtures/unigram/:

* ``tokenizer.json``: a small T5-style SentencePiece Unigram tokenizer made here, so no model download is needed.
  A SentencePiece unigram model (vocabulary 3,000, ``character_coverage`` 0.995 so rarer characters are unknown,
  normalization ``nmt_nfkc`` as T5's, ids pad 0 / eos 1 / unk 2 and no bos as T5's) is trained on sentences of
  SST-2, RTE and BoolQ from ``shared/data``, then converted by transformers' T5 tokenizer with ``extra_ids=100``
  (``<extra_id_99>`` … ``<extra_id_0>`` after the pieces). The .model file itself is not kept.
* ``unigram_reference.json``: what HF ``tokenizers.Tokenizer`` gives for that file:
  - ``cases``: hand-picked strings (Unicode corner cases, NFKC, spacing, unknown characters, special tokens in
    the text) with ids, tokens, HF's normalized text, its pre-tokenized words, and ``decode`` with and without
    special tokens;
  - ``sentences``: several hundred sentences from the GLUE/SuperGLUE files (pairs where the task has them), with
    ids, ids truncated to ``maxLength`` and ``decode``;
  - ``random``: seeded random strings (valid UTF-8, mixed scripts, marks, emoji, whitespace, token fragments)
    with ids;
  - ``variants``: the same tokenizer with the normalizer / pre-tokenizer / decoder / added tokens that other
    files use (the ``T5Converter`` layout of transformers 4.x, the legacy ``add_prefix_space`` spelling,
    prepend_scheme first/never, split false, no pre-tokenizer, added tokens matched in the normalized text),
    with the ids and ``decode`` of the first ``len(CASES)`` cases and the ids of the first ``VARIANT_RANDOM``
    random strings (each encoded alone) under each, in the same order. A variant's normalizer is written as
    the steps after ``Precompiled``; the Precompiled step itself is the one of tokenizer.json (checked here to
    be the same charsmap); its ``addedTokens`` come after those of tokenizer.json.

Usage:  python make_unigram_reference.py [shared_data_dir]
Needs:  pip install sentencepiece tokenizers transformers protobuf
"""

import json
import os
import random
import sys
import tempfile

import sentencepiece as spm
import tokenizers
import transformers
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(PACKAGE, "Tests", "SoftPromptTokenizersTests", "Fixtures", "unigram")
EXTRA_IDS = 100
MAX_LENGTH = 16  # short, so truncation cuts most sentences
VARIANT_RANDOM = 100  # random strings encoded under each variant


# ---------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------
def tsv_rows(path, columns):
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    header = [h.lstrip("\ufeff") for h in lines[0].split("\t")]
    indices = [header.index(c) for c in columns]
    return [tuple(line.split("\t")[i] for i in indices) for line in lines[1:]]


def jsonl_rows(path, fields):
    rows = []
    with open(path, "rb") as f:
        for line in f.read().decode("utf-8").split("\n"):
            if line.strip():
                record = json.loads(line)
                rows.append(tuple(record[k] for k in fields))
    return rows


def training_text(data):
    lines = [r[0] for r in tsv_rows(f"{data}/glue/SST-2/train.tsv", ["sentence"])]
    for a, b in tsv_rows(f"{data}/glue/RTE/train.tsv", ["sentence1", "sentence2"]):
        lines += [a, b]
    for q, p in jsonl_rows(f"{data}/superglue/BoolQ/val.jsonl", ["question", "passage"]):
        lines += [q, p]
    return lines


def every_kth(rows, count):
    step = max(1, len(rows) // count)
    return rows[::step][:count]


def sample_sentences(data):
    """(source, text, pair) triples, a fixed sample across tasks."""
    samples = []

    def take(source, rows, count):
        samples.extend((source, row[0], row[1] if len(row) > 1 else None) for row in every_kth(rows, count))

    take("SST-2 dev", tsv_rows(f"{data}/glue/SST-2/dev.tsv", ["sentence"]), 80)
    take("SST-2 train", tsv_rows(f"{data}/glue/SST-2/train.tsv", ["sentence"]), 60)
    with open(f"{data}/glue/CoLA/dev.tsv", "rb") as f:  # no header; the sentence is the 4th field
        cola = [(line.split("\t")[3],) for line in f.read().decode("utf-8").split("\n") if line]
    take("CoLA dev", cola, 60)
    take("RTE dev", tsv_rows(f"{data}/glue/RTE/dev.tsv", ["sentence1", "sentence2"]), 20)
    take("MRPC dev", tsv_rows(f"{data}/glue/MRPC/dev.tsv", ["#1 String", "#2 String"]), 20)
    take("STS-B dev", tsv_rows(f"{data}/glue/STS-B/dev.tsv", ["sentence1", "sentence2"]), 30)
    take("BoolQ question", jsonl_rows(f"{data}/superglue/BoolQ/val.jsonl", ["question"]), 40)
    take("CB val", jsonl_rows(f"{data}/superglue/CB/val.jsonl", ["premise", "hypothesis"]), 12)
    take("COPA val", jsonl_rows(f"{data}/superglue/COPA/val.jsonl", ["premise", "choice1"]), 30)
    take("WiC val", jsonl_rows(f"{data}/superglue/WiC/val.jsonl", ["sentence1", "sentence2"]), 30)
    take("WSC val", jsonl_rows(f"{data}/superglue/WSC/val.jsonl", ["text"]), 10)
    return samples


# ---------------------------------------------------------------------------------------------------------
# Hand-picked strings: (name, text)
# ---------------------------------------------------------------------------------------------------------
CASES = [
    ("plain sentence", "The movie was surprisingly good, and the acting superb."),
    ("empty string", ""),
    ("one space", " "),
    ("only whitespace", " \t \n  \r\n "),
    ("leading and trailing spaces", "   padded sentence   "),
    ("multiple spaces inside", "a  b   c    d"),
    ("tabs and newlines", "tabs\tand\nnewlines\r\nand\u000bvt\u000cff"),
    ("unicode spaces", "a\u00a0b\u3000c\u2009d\u2028e\u0085f\u1680g\u202fh"),
    ("zero width characters", "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom\u2060wj"),
    ("soft hyphen", "co\u00adoperate \u00ad\u00adx"),
    ("control characters", "bell\u0007esc\u001b\u001cfs\u007fdel\u009fapc\u0001a"),
    ("nul character", "nul\u0000char"),
    ("digits", "0123456789 3.14159 1,000,000 2024-01-31"),
    ("punctuation runs", "Wait... what?!?! (yes) [no] {maybe} -- --- ''quoted'' \"double\""),
    ("apostrophes and quotes", "don't won't it's ‘single’ “double” „low“ «guillemets»"),
    ("accents precomposed", "café naïve résumé Ångström Zürich São Paulo"),
    ("accents combining", "cafe\u0301 nai\u0308ve re\u0301sume\u0301 A\u030angstro\u0308m"),
    ("combining marks stacked", "a\u0301\u0316 o\u0316\u0301 q\u0345\u0334 x\u0300\u0301\u0302\u0303\u0304"),
    ("ligature with combining mark", "\ufb01\u0301 \ufb02\u0308ow"),
    ("fullwidth forms", "ＡＢＣ　ｄｅｆ　１２３！？"),
    ("halfwidth katakana", "ｶﾀｶﾅ ﾃｽﾄ"),
    ("compatibility characters", "ﬁne ﬂow ﬀ ﬃ ﬆ ㎞ ㍻ № ℡ ™ Ⅻ ⅻ ① ⑴ ⒜"),
    ("fractions and superscripts", "½ ¼ ¾ x² y³ H₂O 10⁻⁶"),
    ("diaeresis spacing", "\u00a8 \u00b4 \u02dc \u00b8"),
    ("greek and cyrillic", "Ελληνικά ΟΔΥΣΣΕΥΣ Привет, Мир! Ёлка"),
    ("turkish dotted i", "İstanbul ı I i İ"),
    ("vietnamese", "Tiếng Việt có dấu"),
    ("chinese unknown", "我爱北京天安门。中文分词！"),
    ("japanese unknown", "日本語のテキスト、カタカナとひらがな。"),
    ("korean unknown", "한국어 텍스트 가나다"),
    ("korean jamo", "\u1100\u1161\u11a8 \u1112\u1161\u11ab"),
    ("arabic and hebrew", "مرحبا بالعالم مُحَمَّد שָׁלוֹם"),
    ("devanagari", "हिन्दी भाषा क्षत्रिय"),
    ("thai", "ภาษาไทยง่ายนิดเดียว"),
    ("emoji", "I love it 😀😍🥰 so much 👍🏽"),
    ("emoji zwj and flags", "👨\u200d👩\u200d👧\u200d👦 family 🇺🇸🇫🇷 ❤️ #️⃣"),
    ("emoji glued to words", "great😀movie bad🙁ending"),
    ("mixed known and unknown", "The 東京 Tokyo tower と and ß ẞ straße"),
    ("lone unknown characters", "x 語 y 語語 z"),
    ("eos in text", "Summarize: a cat</s>sat on a mat"),
    ("sentinels in text", "The <extra_id_0> walks in <extra_id_1> park <extra_id_99>."),
    ("specials adjacent", "</s><pad><unk><extra_id_5></s>"),
    ("specials with spaces", " </s> <pad> x <unk> "),
    ("special tokens wrong case or broken", "</S> <Pad> <extra_id_100> <extra_id_-1> < /s> <extra_id_0"),
    ("unknown token text", "an <unk> inside and <unk>"),
    ("meta space character in text", "x \u2581y \u2581\u2581z\u2581"),
    ("replacement character", "replacement\ufffdchar"),
    ("private use and unassigned", "\ue000x \U0010fffd y \u0378 z"),
    ("astral letters", "\U0001d400\U0001d401 \U0001d5ba math bold"),
    ("cjk compatibility ideographs", "\uf900\U0002f800 \u2f00"),
    ("long word", "antidisestablishmentarianism supercalifragilisticexpialidocious"),
    ("long repeated characters", "a" * 120 + " " + "!" * 40),
    ("url and email", "visit https://example.com/path?q=1&x=y or mail me@example.org"),
    ("code like text", "def f(x): return x**2 + 1  # comment"),
    ("angle brackets", "<b>bold</b> <s> </s > <<>>"),
    ("uppercase sentence", "THIS IS ALL CAPS AND LOUD"),
    ("carriage return alone", "a\rb\r\rc"),
    ("crlf with combining mark", "a\r\n\u0301b"),
    ("hangul syllable composition", "\u1100\u1161"),
    ("regional indicator run", "🇺🇸🇫🇷🇩"),
    ("prepend mark", "\u0600\u0661 x"),
    ("deleted characters first", "\u0001\u0001a b \u0001c"),
    ("expanding characters first", "½ ¼ x ⑴"),
    ("space from a deleted control", "\u0001 a"),
    ("text for normalized added tokens", "xＡＢＣy ABC mask masking  mask. ＭＡＳＫ"),
]

# Pairs and truncation over some of the cases.
PAIR_CASES = [
    ("pair plain", "The cat sat on the mat.", "A cat was sitting."),
    ("pair with empty second", "Only the first.", ""),
    ("pair with empty first", "", "Only the second."),
    ("pair with specials", "premise </s> with eos", "hypothesis <extra_id_0>"),
    ("pair unknown", "東京 is big", "語 x"),
]


def random_strings(seed=20240601, count=200):
    rng = random.Random(seed)
    alphabet = (
        list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        + list(" .,;:!?'\"()-_/\\<>[]{}@#$%^&*+=~`|")
        + [" ", " ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2581"]
        + list("éèêëàâäôöûüçñßøåæœÉÀÇÑ")
        + ["\u0301", "\u0300", "\u0308", "\u0327", "\u0323", "\u200d", "\u200b", "\ufe0f", "\u00ad"]
        + ["\u0001", "\u001b", "\u007f", "\u00a8", "\u00b4", "\u2474", "\u2116"]
        + list("ﬁﬂ½²³ＡＢＣ１２３！？ｶﾀ")
        + list("日本語中文한국어αβγδεΑΒΓабвгд")
        + ["😀", "👍", "🏽", "🇺", "🇸", "❤", "\U0001d400"]
        + ["</s>", "<pad>", "<unk>", "<extra_id_0>", "<extra_id_42>", "<extra", "_id_", "</"]
    )
    strings = []
    for _ in range(count):
        length = rng.randint(0, 24)
        strings.append("".join(rng.choice(alphabet) for _ in range(length)))
    return strings


# ---------------------------------------------------------------------------------------------------------
# Building the tokenizer
# ---------------------------------------------------------------------------------------------------------
def train_sentencepiece(lines, folder):
    corpus = os.path.join(folder, "corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("\n".join(line.replace("\n", " ") for line in lines) + "\n")
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=os.path.join(folder, "spiece"), model_type="unigram", vocab_size=3000,
        character_coverage=0.995, normalization_rule_name="nmt_nfkc",
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>",
        num_threads=1, seed_sentencepiece_size=200000, input_sentence_size=0, shuffle_input_sentence=False,
        minloglevel=2)
    return os.path.join(folder, "spiece.model")


def convert_with_transformers(folder):
    """tokenizer.json as transformers' T5 tokenizer writes it for this spiece.model."""
    if hasattr(transformers, "T5TokenizerFast") and transformers.__version__.split(".")[0] == "4":
        tok = transformers.T5TokenizerFast.from_pretrained(folder, extra_ids=EXTRA_IDS)
    else:
        tok = transformers.T5Tokenizer.from_pretrained(folder, extra_ids=EXTRA_IDS)
    return json.loads(tok.backend_tokenizer.to_str())


def classic_converter_layout(model_path):
    """normalizer and pre_tokenizer of transformers 4.x's T5Converter (SpmConverter) for the same model."""
    from transformers.convert_slow_tokenizer import T5Converter

    class StandIn:  # what the converter reads of a slow T5Tokenizer
        vocab_file = model_path
        _extra_ids = EXTRA_IDS
        legacy = True

        def convert_tokens_to_ids(self, token):
            return {"</s>": 1}[token]

    converted = json.loads(T5Converter(StandIn()).converted().to_str())
    return converted["normalizer"], converted["pre_tokenizer"], converted["decoder"]


# ---------------------------------------------------------------------------------------------------------
# Reference values
# ---------------------------------------------------------------------------------------------------------
def encode_entry(tok, text, pair=None, max_length=None, with_tokens=False):
    if max_length is not None:
        tok.enable_truncation(max_length)
    else:
        tok.no_truncation()
    enc = tok.encode(text, pair) if pair is not None else tok.encode(text)
    tok.no_truncation()
    entry = {"text": text}
    if pair is not None:
        entry["pair"] = pair
    if max_length is not None:
        entry["maxLength"] = max_length
    entry["ids"] = enc.ids
    if with_tokens:
        entry["tokens"] = enc.tokens
    if pair is not None:
        entry["typeIds"] = enc.type_ids
    return entry


def add_decoding(tok, entry):
    entry["decoded"] = tok.decode(entry["ids"], skip_special_tokens=True)
    entry["decodedWithSpecials"] = tok.decode(entry["ids"], skip_special_tokens=False)
    return entry


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(PACKAGE), "shared", "data")
    os.makedirs(OUT_DIR, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        model_path = train_sentencepiece(training_text(data), folder)
        tokenizer_json = convert_with_transformers(folder)
        classic_normalizer, classic_pre_tokenizer, classic_decoder = classic_converter_layout(model_path)

    assert tokenizer_json["model"]["type"] == "Unigram"
    assert len(tokenizer_json["model"]["vocab"]) == 3000 + EXTRA_IDS
    with open(os.path.join(OUT_DIR, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    tok = Tokenizer.from_str(json.dumps(tokenizer_json))

    # The Precompiled step of the fixture, which every variant shares.
    precompiled = tokenizer_json["normalizer"]
    if precompiled["type"] == "Sequence":
        precompiled = precompiled["normalizers"][0]
    assert precompiled["type"] == "Precompiled"
    assert classic_normalizer["type"] == "Sequence"
    assert classic_normalizer["normalizers"][0] == precompiled, "the T5Converter charsmap differs"

    cases = []
    for name, text in CASES:
        entry = {"name": name, **encode_entry(tok, text, with_tokens=True)}
        entry["normalized"] = tok.normalizer.normalize_str(text) if tok.normalizer else text
        entry["preTokenized"] = [w for w, _ in tok.pre_tokenizer.pre_tokenize_str(entry["normalized"])]
        cases.append(add_decoding(tok, entry))
    for name, text, pair in PAIR_CASES:
        cases.append(add_decoding(tok, {"name": name, **encode_entry(tok, text, pair, with_tokens=True)}))
        cases.append(add_decoding(tok, {"name": name + " truncated", **encode_entry(tok, text, pair, 6, True)}))
    for name, text in CASES[::5]:
        cases.append(add_decoding(tok, {"name": name + " truncated", **encode_entry(tok, text, None, 5, True)}))

    sentences = []
    for source, text, pair in sample_sentences(data):
        entry = {"source": source, **encode_entry(tok, text, pair)}
        entry.pop("typeIds", None)  # all 0 for T5; the cases check type ids
        entry["idsTruncated"] = encode_entry(tok, text, pair, MAX_LENGTH)["ids"]
        entry["decoded"] = tok.decode(entry["ids"], skip_special_tokens=True)
        sentences.append(entry)

    random_cases = []
    strings = random_strings()
    for index, text in enumerate(strings):
        pair = strings[index - 1] if index % 4 == 0 else None
        random_cases.append(encode_entry(tok, text, pair, 12 if index % 8 == 0 else None))

    precompiled_only = []
    variants = []
    for name, after_precompiled, pre_tokenizer, decoder, extra_added in [
        ("transformers 4.x T5Converter: Precompiled, Strip right, Replace ' {2,}'; Metaspace",
         classic_normalizer["normalizers"][1:], classic_pre_tokenizer, classic_decoder, []),
        ("legacy Metaspace spelling add_prefix_space true",
         precompiled_only,
         {"type": "Sequence", "pretokenizers": [
             {"type": "WhitespaceSplit"},
             {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}]},
         {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}, []),
        ("prepend first after WhitespaceSplit",
         precompiled_only,
         {"type": "Sequence", "pretokenizers": [
             {"type": "WhitespaceSplit"},
             {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True}]},
         {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True}, []),
        ("prepend first, Metaspace alone, Strip both",
         [{"type": "Strip", "strip_left": True, "strip_right": True}],
         {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True},
         {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True}, []),
        ("prepend never, split false, literal Replace",
         [{"type": "Replace", "pattern": {"String": "  "}, "content": " "}],
         {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": False},
         {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": False}, []),
        ("no pre-tokenizer, no decoder", precompiled_only, None, None, []),
        ("added tokens matched in the normalized text",
         precompiled_only, tokenizer_json["pre_tokenizer"], tokenizer_json["decoder"],
         [{"id": 3100, "content": "ＡＢＣ", "single_word": False, "lstrip": False, "rstrip": False,
           "normalized": True, "special": False},
          {"id": 3101, "content": "mask", "single_word": True, "lstrip": True, "rstrip": True,
           "normalized": True, "special": True}]),
    ]:
        variant_json = dict(tokenizer_json)
        variant_json["normalizer"] = {"type": "Sequence", "normalizers": [precompiled] + after_precompiled}
        variant_json["pre_tokenizer"] = pre_tokenizer
        variant_json["decoder"] = decoder
        variant_json["added_tokens"] = tokenizer_json["added_tokens"] + extra_added
        variant = Tokenizer.from_str(json.dumps(variant_json))
        variant_cases = []
        for _, text in CASES:
            ids = variant.encode(text).ids
            variant_cases.append({"ids": ids, "decoded": variant.decode(ids, skip_special_tokens=True)})
        variants.append({"name": name, "normalizerAfterPrecompiled": after_precompiled,
                         "preTokenizer": pre_tokenizer, "decoder": decoder, "addedTokens": extra_added,
                         "cases": variant_cases,
                         "random": [variant.encode(text).ids for text in strings[:VARIANT_RANDOM]]})

    reference = {
        "tokenizersVersion": tokenizers.__version__,
        "transformersVersion": transformers.__version__,
        "sentencepieceVersion": spm.__version__,
        "maxLength": MAX_LENGTH,
        "handPickedCaseCount": len(CASES),
        "cases": cases,
        "sentences": sentences,
        "random": random_cases,
        "variants": variants,
    }
    with open(os.path.join(OUT_DIR, "unigram_reference.json"), "w", encoding="utf-8") as f:
        f.write(dumps_one_entry_per_line(reference))
    print(f"{len(cases)} cases, {len(sentences)} sentences, {len(random_cases)} random strings, "
          f"{len(variants)} variants -> {OUT_DIR}")


def dumps_one_entry_per_line(reference):
    """JSON with one case per line, so diffs of the fixture stay readable."""
    parts = ["{"]
    items = list(reference.items())
    for index, (key, value) in enumerate(items):
        comma = "," if index + 1 < len(items) else ""
        if isinstance(value, list):
            parts.append(f"  {json.dumps(key)}: [")
            for j, item in enumerate(value):
                inner = "," if j + 1 < len(value) else ""
                parts.append("    " + json.dumps(item, ensure_ascii=False, separators=(",", ":")) + inner)
            parts.append(f"  ]{comma}")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    parts.append("}")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    main()
