/// The GLUE and SuperGLUE tasks, as distributed (GLUE `glue_data` TSVs, SuperGLUE v2 JSONL).
///
/// Label orders follow the Hugging Face `glue`/`super_glue` datasets (so class indices mean the same as there);
/// the words are Residual-PT's verbalisers (methods.md §2). T5 inputs list the fields in Residual-PT's order where
/// its code has one (BoolQ passage first, COPA choices first); DePT's order otherwise.
extension TaskDefinition {
    public static let all: [TaskDefinition] = [
        sst2, cola, mrpc, stsb, rte, qnli, mnli, qqp, boolq, cb, copa, wic, wsc, multirc, superGLUERTE,
    ]

    /// The task called `name` or one of its aliases, any case.
    public static func named(_ name: String) -> TaskDefinition? {
        all.first { $0.isNamed(name) }
    }

    // MARK: GLUE

    static let binaryDigits = ["0", "1"]
    static let entailment = ["entailment", "not_entailment"]

    public static let sst2 = TaskDefinition(
        name: "sst2", aliases: ["sst-2"], folder: "glue/SST-2", trainFile: "train.tsv", validationFile: "dev.tsv",
        format: .glueTSV(GLUETSVFormat(header: .exact(["sentence", "label"]), text: [.init("sentence", as: "sentence")],
                                       target: .label(column: "label", values: binaryDigits))),
        labels: ["negative", "positive"], bertFraming: .single("sentence"), textToTextFields: ["sentence"],
        verbalizer: .words(["negative", "positive"]), smallInDePT: false)

    public static let cola = TaskDefinition(
        name: "cola", folder: "glue/CoLA", trainFile: "train.tsv", validationFile: "dev.tsv",
        format: .glueTSV(GLUETSVFormat(header: .none(["source", "label", "original_label", "sentence"]),
                                       text: [.init("sentence", as: "sentence")],
                                       target: .label(column: "label", values: binaryDigits))),
        labels: ["not_acceptable", "acceptable"], bertFraming: .single("sentence"), textToTextFields: ["sentence"],
        verbalizer: .words(["not_acceptable", "acceptable"]), metrics: ["mcc"], smallInDePT: true)

    public static let mrpc = TaskDefinition(
        name: "mrpc", folder: "glue/MRPC", trainFile: "train.tsv", validationFile: "dev.tsv",
        format: .glueTSV(GLUETSVFormat(header: .exact(["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"]),
                                       text: [.init("#1 String", as: "sentence1"), .init("#2 String", as: "sentence2")],
                                       target: .label(column: "Quality", values: binaryDigits))),
        labels: ["not_equivalent", "equivalent"], bertFraming: .pair("sentence1", ["sentence2"]),
        textToTextFields: ["sentence1", "sentence2"], verbalizer: .words(["not_equivalent", "equivalent"]),
        metrics: ["f1", "accuracy"], smallInDePT: true)

    public static let stsb = TaskDefinition(
        name: "stsb", aliases: ["sts-b"], folder: "glue/STS-B", trainFile: "train.tsv", validationFile: "dev.tsv",
        format: .glueTSV(GLUETSVFormat(
            header: .exact(["index", "genre", "filename", "year", "old_index", "source1", "source2", "sentence1", "sentence2", "score"]),
            text: [.init("sentence1", as: "sentence1"), .init("sentence2", as: "sentence2")],
            target: .score(column: "score", range: 0...5))),
        kind: .regression, labels: [], bertFraming: .pair("sentence1", ["sentence2"]),
        textToTextFields: ["sentence1", "sentence2"], verbalizer: .scoreToOneDecimal, metrics: ["pearson", "spearman"],
        smallInDePT: true)

    public static let rte = TaskDefinition(
        name: "rte", aliases: ["glue-rte"], folder: "glue/RTE", trainFile: "train.tsv", validationFile: "dev.tsv",
        format: .glueTSV(GLUETSVFormat(header: .exact(["index", "sentence1", "sentence2", "label"]),
                                       text: [.init("sentence1", as: "sentence1"), .init("sentence2", as: "sentence2")],
                                       target: .label(column: "label", values: entailment))),
        labels: entailment, bertFraming: .pair("sentence1", ["sentence2"]), textToTextFields: ["sentence1", "sentence2"],
        verbalizer: .words(entailment), smallInDePT: true)

    public static let qnli = TaskDefinition(
        name: "qnli", folder: "glue/QNLI", trainFile: "train.tsv", validationFile: "dev.tsv",
        format: .glueTSV(GLUETSVFormat(header: .exact(["index", "question", "sentence", "label"]),
                                       text: [.init("question", as: "question"), .init("sentence", as: "sentence")],
                                       target: .label(column: "label", values: entailment))),
        labels: entailment, bertFraming: .pair("question", ["sentence"]), textToTextFields: ["question", "sentence"],
        verbalizer: .words(entailment), smallInDePT: false)

    /// MNLI's files carry parse trees and, in the dev files, five annotator labels: the reader finds its three columns
    /// by name. The dev file is dev_matched.tsv. (DePT's code validates on mismatched and tests on matched; here MNLI
    /// follows the size rule like every other large task.)
    public static let mnli = TaskDefinition(
        name: "mnli", folder: "glue/MNLI", trainFile: "train.tsv", validationFile: "dev_matched.tsv",
        format: .glueTSV(GLUETSVFormat(header: .named,
                                       text: [.init("sentence1", as: "premise"), .init("sentence2", as: "hypothesis")],
                                       target: .label(column: "gold_label", values: ["entailment", "neutral", "contradiction"]))),
        labels: ["entailment", "neutral", "contradiction"], bertFraming: .pair("premise", ["hypothesis"]),
        textToTextFields: ["premise", "hypothesis"], verbalizer: .words(["entailment", "neutral", "contradiction"]),
        smallInDePT: false)

    public static let qqp = TaskDefinition(
        name: "qqp", folder: "glue/QQP", trainFile: "train.tsv", validationFile: "dev.tsv",
        format: .glueTSV(GLUETSVFormat(header: .exact(["id", "qid1", "qid2", "question1", "question2", "is_duplicate"]),
                                       text: [.init("question1", as: "question1"), .init("question2", as: "question2")],
                                       target: .label(column: "is_duplicate", values: binaryDigits), allowsEmptyText: true)),
        labels: ["not_duplicate", "duplicate"], bertFraming: .pair("question1", ["question2"]),
        textToTextFields: ["question1", "question2"], verbalizer: .words(["not_duplicate", "duplicate"]),
        metrics: ["f1", "accuracy"], smallInDePT: false)

    // MARK: SuperGLUE

    static let falseTrue = ["false", "true"]

    /// The question comes first for BERT, so truncation cuts the passage, not the question.
    public static let boolq = TaskDefinition(
        name: "boolq", aliases: ["superglue-boolq"], folder: "superglue/BoolQ", trainFile: "train.jsonl",
        validationFile: "val.jsonl", format: .superGLUE(.boolq), labels: falseTrue, bertFraming: .pair("question", ["passage"]),
        textToTextFields: ["passage", "question"], verbalizer: .words(falseTrue), smallInDePT: true, recordNoun: "examples")

    public static let cb = TaskDefinition(
        name: "cb", aliases: ["superglue-cb"], folder: "superglue/CB", trainFile: "train.jsonl", validationFile: "val.jsonl",
        format: .superGLUE(.cb), labels: ["entailment", "contradiction", "neutral"], bertFraming: .pair("premise", ["hypothesis"]),
        textToTextFields: ["premise", "hypothesis"], verbalizer: .words(["entailment", "contradiction", "neutral"]),
        metrics: ["macro_f1", "accuracy"], smallInDePT: true, recordNoun: "examples")

    /// Two candidates per question (see `BertFraming.alternatives`); the T5 target names the right choice's field,
    /// "choice1" or "choice2", so rank classification scores the same two strings for every question.
    public static let copa = TaskDefinition(
        name: "copa", aliases: ["superglue-copa"], folder: "superglue/COPA", trainFile: "train.jsonl", validationFile: "val.jsonl",
        format: .superGLUE(.copa), kind: .multipleChoice(candidates: 2), labels: falseTrue,
        bertFraming: .alternatives(premise: "premise", question: "question", choices: ["choice1", "choice2"]),
        textToTextFields: ["choice1", "choice2", "premise", "question"], verbalizer: .words(["choice1", "choice2"]),
        smallInDePT: true, recordNoun: "questions")

    /// BERT reads both sentences with the target word marked (`SuperGLUEReader.wordMarker`) at the file's offsets;
    /// T5 reads them unmarked plus the word.
    public static let wic = TaskDefinition(
        name: "wic", aliases: ["superglue-wic"], folder: "superglue/WiC", trainFile: "train.jsonl", validationFile: "val.jsonl",
        format: .superGLUE(.wic), labels: falseTrue, bertFraming: .pair("sentence1_marked", ["sentence2_marked"]),
        textToTextFields: ["sentence1", "sentence2", "word"], verbalizer: .words(falseTrue), smallInDePT: true,
        recordNoun: "examples")

    /// One binary candidate per example: the text with the candidate referent in `* … *` and the pronoun in `# … #`
    /// (T5's marking); `group` is the example's number in its file.
    public static let wsc = TaskDefinition(
        name: "wsc", aliases: ["superglue-wsc", "superglue-wsc.fixed"], folder: "superglue/WSC", trainFile: "train.jsonl",
        validationFile: "val.jsonl", format: .superGLUE(.wsc), kind: .binaryCandidates, labels: falseTrue,
        bertFraming: .single("text"), textToTextFields: ["text"], verbalizer: .words(falseTrue), smallInDePT: true,
        recordNoun: "examples")

    /// One binary candidate per answer: text = paragraph, pair = question + " " + answer; `group` numbers the questions
    /// of a file (for EM); splits keep passages whole.
    public static let multirc = TaskDefinition(
        name: "multirc", aliases: ["superglue-multirc"], folder: "superglue/MultiRC", trainFile: "train.jsonl",
        validationFile: "val.jsonl", format: .superGLUE(.multirc), kind: .binaryCandidates, labels: falseTrue,
        bertFraming: .pair("paragraph", ["question", "answer"]), textToTextFields: ["question", "answer", "paragraph"],
        verbalizer: .words(falseTrue), metrics: ["f1a", "em"], smallInDePT: true, recordNoun: "answers",
        splitUnitNoun: "passage")

    public static let superGLUERTE = TaskDefinition(
        name: "superglue-rte", aliases: ["rte-superglue", "rte_superglue"], folder: "superglue/RTE", trainFile: "train.jsonl",
        validationFile: "val.jsonl", format: .superGLUE(.rte), labels: entailment, bertFraming: .pair("premise", ["hypothesis"]),
        textToTextFields: ["premise", "hypothesis"], verbalizer: .words(entailment), smallInDePT: true, recordNoun: "examples")
}
