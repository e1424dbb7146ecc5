import SoftPromptTensor

/// How train/validation/test are made from a task's original files.
public enum SplitRule: String, Sendable, CaseIterable {
    /// DePT's rule (methods.md §3), so numbers compare with DePT-style tables. A task DePT lists as small, or whose
    /// training file has fewer than 10,000 records: the training file trains, the validation file is shuffled and
    /// halved into validation (the first ⌊n/2⌋ records) and test. Otherwise 1,000 training records, drawn at
    /// random, are held out as validation, and the validation file is the test set.
    case dept
    /// Train on the training file; validate and test on the whole validation file (the usual GLUE dev numbers).
    case plain
}

/// The records of a task's three splits and how they were made.
public struct TaskRecordSplits: Sendable {
    public var train: [TaskRecord]
    public var validation: [TaskRecord]
    public var test: [TaskRecord]
    /// One line for the run's metrics log: rule, seed, files and counts.
    public var description: String
}

/// Splits a task's original records. Every random choice comes from `RandomStream(seed:)` (split "task-split"), so a
/// seed gives the same splits on every platform; the records of one unit (`TaskRecord.unit`: a MultiRC passage)
/// always land in the same split, and each split keeps the files' order.
public enum TaskSplitter {
    /// A DePT "large" task holds out this many training records as validation.
    public static let heldOutValidationCount = 1000
    /// Below this many training records a task counts as small for DePT's rule.
    public static let smallTrainingSetLimit = 10_000
    /// With only a validation file (QNLI and BoolQ in ../shared/data) it is shuffled and split: 15 % validation
    /// (⌊0.15 n⌋, at least one record when n ≥ 3), 15 % test, the remaining ~70 % train.
    public static let validationOnlyPercent = 15

    /// `train` is nil when the task folder has no training file.
    public static func split(_ definition: TaskDefinition, train: [TaskRecord]?, validation: [TaskRecord], seed: UInt64,
                             rule: SplitRule) -> TaskRecordSplits {
        var random = RandomStream(seed: seed).split("task-split")
        let noun = definition.recordNoun
        let shuffled = "shuffled" + (definition.splitUnitNoun.map { " by \($0)" } ?? "")
        let validationFile = definition.validationFile, trainFile = definition.trainFile

        guard let train else {
            let n = validation.count
            let share = n >= 3 ? max(1, n * validationOnlyPercent / 100) : n * validationOnlyPercent / 100
            let parts = deal(validation, targets: [share, share], random: &random)
            let remainder = 100 - 2 * validationOnlyPercent
            return TaskRecordSplits(
                train: parts[2], validation: parts[0], test: parts[1],
                description: "only \(validationFile) present (no \(trainFile)), seed \(seed): its \(n) \(noun) \(shuffled) and split "
                    + "\(remainder)/\(validationOnlyPercent)/\(validationOnlyPercent): \(parts[2].count) train, "
                    + "\(parts[0].count) validation, \(parts[1].count) test")
        }

        switch rule {
        case .plain:
            return TaskRecordSplits(
                train: train, validation: validation, test: validation,
                description: "plain split: \(trainFile) (\(train.count) \(noun)) to train; \(validationFile) "
                    + "(\(validation.count) \(noun)) to validate and to test")
        case .dept where definition.smallInDePT || train.count < smallTrainingSetLimit:
            let parts = deal(validation, targets: [validation.count / 2], random: &random)
            let why = definition.smallInDePT ? "listed small by DePT" : "under \(smallTrainingSetLimit) training \(noun)"
            return TaskRecordSplits(
                train: train, validation: parts[0], test: parts[1],
                description: "DePT split (\(why)), seed \(seed): \(trainFile) (\(train.count) \(noun)) to train; "
                    + "\(validationFile) (\(validation.count) \(noun)) \(shuffled) and halved: \(parts[0].count) validation, "
                    + "\(parts[1].count) test")
        case .dept:
            let parts = deal(train, targets: [heldOutValidationCount], random: &random)
            return TaskRecordSplits(
                train: parts[1], validation: parts[0], test: validation,
                description: "DePT split, seed \(seed): \(parts[0].count) of \(trainFile)'s \(train.count) \(noun) held out "
                    + "(\(shuffled)) as validation, \(parts[1].count) to train; \(validationFile) (\(validation.count) \(noun)) as test")
        }
    }

    /// Shuffles the units of `records` and deals them out in that order: part 0 takes units until it holds at least
    /// `targets[0]` records, part 1 until `targets[1]`, …; the last part (index `targets.count`) gets the rest.
    /// Each part keeps file order.
    static func deal(_ records: [TaskRecord], targets: [Int], random: inout RandomStream) -> [[TaskRecord]] {
        let units = self.units(of: records)
        var order = Array(units.indices)
        shuffle(&order, random: &random)
        var partOfUnit = [Int](repeating: targets.count, count: units.count)
        var part = 0, filled = 0
        for unit in order {
            while part < targets.count, filled >= targets[part] {
                part += 1
                filled = 0
            }
            guard part < targets.count else { break }
            partOfUnit[unit] = part
            filled += units[unit].count
        }
        var parts = [[TaskRecord]](repeating: [], count: targets.count + 1)
        for (unit, range) in units.enumerated() { parts[partOfUnit[unit]].append(contentsOf: records[range]) }
        return parts
    }

    /// The runs of consecutive records that share a `unit`.
    static func units(of records: [TaskRecord]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        for i in records.indices where i > 0 && records[i].unit != records[i - 1].unit {
            result.append(start..<i)
            start = i
        }
        if !records.isEmpty { result.append(start..<records.count) }
        return result
    }

    /// Fisher–Yates with unbiased draws, written out because `Array.shuffle(using:)` does not promise the same
    /// permutation across Swift versions.
    static func shuffle(_ values: inout [Int], random: inout RandomStream) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, uniformIndex(below: i + 1, random: &random))
        }
    }

    /// Uniform in 0..<bound by rejection, so no index is favoured.
    static func uniformIndex(below bound: Int, random: inout RandomStream) -> Int {
        let bound = UInt64(bound)
        let limit = UInt64.max - UInt64.max % bound  // the largest multiple of bound that fits; draws at or above it are redrawn
        while true {
            let draw = random.next()
            if draw < limit { return Int(draw % bound) }
        }
    }
}
