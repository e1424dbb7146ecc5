import SoftPromptTasks
import SoftPromptTensor
import Testing

@Suite struct TaskSplitTests {
    /// `count` records with distinct text; `unitSizes` (cycled) gives how many consecutive records share a unit.
    func records(_ count: Int, prefix: String = "r", unitSizes: [Int] = [1]) -> [TaskRecord] {
        var result: [TaskRecord] = []
        var unit = 0, sizeIndex = 0, inUnit = 0
        for i in 0..<count {
            result.append(TaskRecord(fields: [TaskField("sentence", "\(prefix)\(i)")], label: i % 2, group: i, unit: unit))
            inUnit += 1
            if inUnit == unitSizes[sizeIndex % unitSizes.count] {
                unit += 1
                sizeIndex += 1
                inUnit = 0
            }
        }
        return result
    }

    func texts(_ records: [TaskRecord]) -> [String] { records.map { $0["sentence"] } }

    @Test func aSmallTaskHalvesItsValidationFileAndTrainsOnTheTrainingFile() {
        let split = TaskSplitter.split(.rte, train: records(2490, prefix: "t"), validation: records(277), seed: 42, rule: .dept)
        #expect(split.train.count == 2490 && split.validation.count == 138 && split.test.count == 139)
        #expect(Set(texts(split.validation)).isDisjoint(with: texts(split.test)))
        #expect(Set(texts(split.validation) + texts(split.test)) == Set(texts(records(277))))
        #expect(split.description == "DePT split (listed small by DePT), seed 42: train.tsv (2490 rows) to train; dev.tsv (277 rows) shuffled and halved: 138 validation, 139 test")
    }

    @Test func aLargeTaskHoldsOutAThousandTrainingRecordsAndTestsOnTheValidationFile() {
        let train = records(12_000, prefix: "t"), validation = records(872)
        let split = TaskSplitter.split(.sst2, train: train, validation: validation, seed: 7, rule: .dept)
        #expect(split.validation.count == 1000 && split.train.count == 11_000)
        #expect(split.test == validation)
        #expect(Set(texts(split.train)).isDisjoint(with: texts(split.validation)))
        #expect(split.description == "DePT split, seed 7: 1000 of train.tsv's 12000 rows held out (shuffled) as validation, 11000 to train; dev.tsv (872 rows) as test")
    }

    @Test func aLargeTaskWithASmallTrainingFileFollowsTheSizeRule() {
        let split = TaskSplitter.split(.sst2, train: records(500, prefix: "t"), validation: records(10), seed: 1, rule: .dept)
        #expect(split.train.count == 500 && split.validation.count == 5 && split.test.count == 5)
        #expect(split.description.hasPrefix("DePT split (under 10000 training rows), seed 1:"))
    }

    @Test func thePlainRuleValidatesAndTestsOnTheWholeValidationFile() {
        let train = records(50, prefix: "t"), validation = records(20)
        let split = TaskSplitter.split(.rte, train: train, validation: validation, seed: 3, rule: .plain)
        #expect(split.train == train && split.validation == validation && split.test == validation)
    }

    @Test func aTaskWithOnlyAValidationFileIsSplitSeventyFifteenFifteen() {
        let split = TaskSplitter.split(.qnli, train: nil, validation: records(5463), seed: 42, rule: .dept)
        #expect(split.train.count == 3825 && split.validation.count == 819 && split.test.count == 819)
        let all = texts(split.train) + texts(split.validation) + texts(split.test)
        #expect(Set(all).count == 5463)
        #expect(split.description == "only dev.tsv present (no train.tsv), seed 42: its 5463 rows shuffled and split 70/15/15: 3825 train, 819 validation, 819 test")
        let plain = TaskSplitter.split(.qnli, train: nil, validation: records(5463), seed: 42, rule: .plain)
        #expect(plain.train == split.train, "with no training file both rules must make one")
    }

    @Test func theSameSeedGivesTheSameSplitAndAnotherSeedAnother() {
        let validation = records(300)
        let a = TaskSplitter.split(.cb, train: records(10), validation: validation, seed: 11, rule: .dept)
        let b = TaskSplitter.split(.cb, train: records(10), validation: validation, seed: 11, rule: .dept)
        let c = TaskSplitter.split(.cb, train: records(10), validation: validation, seed: 12, rule: .dept)
        #expect(a.validation == b.validation && a.test == b.test)
        #expect(a.validation != c.validation)
    }

    @Test func eachSplitKeepsTheFilesOrder() {
        let split = TaskSplitter.split(.cb, train: records(10), validation: records(100), seed: 5, rule: .dept)
        for part in [split.validation, split.test] {
            let positions = part.map { Int($0["sentence"].dropFirst())! }
            #expect(positions == positions.sorted())
        }
    }

    @Test func unitsAreNeverSplitAndDealtUntilEachTargetIsReached() {
        // MultiRC-like: passages of 3 to 9 answers.
        let validation = records(4848, unitSizes: [3, 9, 5, 7, 4, 8, 6])
        let split = TaskSplitter.split(.multirc, train: records(40, prefix: "t"), validation: validation, seed: 42, rule: .dept)
        let side = Dictionary(uniqueKeysWithValues: split.validation.map { ($0["sentence"], 0) } + split.test.map { ($0["sentence"], 1) })
        for unit in Dictionary(grouping: validation, by: \.unit).values {
            #expect(Set(unit.map { side[$0["sentence"]]! }).count == 1, "unit \(unit[0].unit) was split")
        }
        #expect(split.validation.count >= 2424 && split.validation.count < 2424 + 9)
        #expect(split.validation.count + split.test.count == 4848)
        #expect(split.description.contains("shuffled by passage and halved"))

        let heldOut = TaskSplitter.split(.mnli, train: records(20_000, prefix: "t", unitSizes: [4]), validation: records(10), seed: 1, rule: .dept)
        #expect(heldOut.validation.count == 1000 && heldOut.validation.count % 4 == 0)
    }

    @Test func theShuffleIsTheSameOnEveryPlatform() {
        // Pinned: xoshiro256** through RandomStream and an unbiased Fisher–Yates, nothing platform-dependent.
        let split = TaskSplitter.split(.rte, train: records(1), validation: records(10), seed: 42, rule: .dept)
        #expect(texts(split.validation) == ["r0", "r2", "r3", "r5", "r6"])
    }

    @Test func degenerateValidationFilesDoNotCrash() {
        let one = TaskSplitter.split(.rte, train: records(3), validation: records(1), seed: 1, rule: .dept)
        #expect(one.validation.count == 0 && one.test.count == 1)
        let tiny = TaskSplitter.split(.qnli, train: nil, validation: records(2), seed: 1, rule: .dept)
        #expect(tiny.train.count == 2 && tiny.validation.isEmpty && tiny.test.isEmpty)
        let three = TaskSplitter.split(.qnli, train: nil, validation: records(3), seed: 1, rule: .dept)
        #expect(three.train.count == 1 && three.validation.count == 1 && three.test.count == 1)
    }
}
