/// One named text field of a record, e.g. `premise` = "The man turned on the faucet.".
public struct TaskField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One row of an original GLUE/SuperGLUE file as its reader understood it, before any framing: the text fields
/// by name, the target, and what a split must keep together.
///
/// Splits work on records, framings turn records into examples (`TaskDefinition.examples(from:)` for the BERT
/// head, `TaskDefinition.textToText(_:)` for T5), so both framings of one seed see the same partition.
public struct TaskRecord: Sendable, Equatable {
    /// The text fields under the names the task's files use (`sentence1`, `premise`, `passage`, …). Readers may add
    /// derived fields (WiC's sentences with the target word marked); the framings say which fields they read.
    public var fields: [TaskField]
    /// Class index; 0/1 for candidate tasks; for COPA the index of the correct choice (0 = choice1).
    public var label: Int
    /// The STS-B similarity (0–5); 0 otherwise.
    public var score: Double
    /// The question a record belongs to (WSC example, MultiRC question), numbered from 0 in file order so it is
    /// unique within one file; nil for tasks without questions. COPA's records are whole questions: their
    /// candidates get the record's number when framed.
    public var group: Int?
    /// Records with the same `unit` go to the same split: a MultiRC passage; the record's own position otherwise.
    /// Records of one unit are consecutive.
    public var unit: Int

    public init(fields: [TaskField], label: Int, score: Double = 0, group: Int? = nil, unit: Int) {
        self.fields = fields
        self.label = label
        self.score = score
        self.group = group
        self.unit = unit
    }

    /// The value of the field `name`; "" when the record has no such field (framings only ask for fields their
    /// reader always sets).
    public subscript(_ name: String) -> String {
        for field in fields where field.name == name { return field.value }
        return ""
    }
}
