import Foundation
import SoftPromptDistributed
import SoftPromptTestSupport
import SoftPromptTraining
import Testing

@Suite struct CheckpointStoreTests {
    let fingerprint = RunFingerprint(worldSize: 2, method: "pt", model: "m1", data: "d1")

    func temporaryStore(keep: Int = 2) -> CheckpointStore {
        CheckpointStore(directory: FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)"), keep: keep)
    }

    func state(step: Int, best: Bool = true) -> TrainingState {
        let theta = randomValues(10, seed: UInt64(step)).floats
        return TrainingState(step: step, theta: theta, optimizerStep: step, firstMoment: theta.map { $0 / 10 },
                             secondMoment: theta.map { $0 * $0 },
                             best: best ? .init(score: 0.1 + 1.0 / 3.0, step: step - 1, theta: theta.reversed()) : nil)
    }

    /// Both ranks of an in-process 2-rank world write a checkpoint at `step`.
    func write(_ store: CheckpointStore, step: Int) throws {
        _ = try runRanks(2) { communicator in
            try store.write(state: state(step: step), rankState: RankState(rank: communicator.rank, dataCursor: step,
                                                                          dropoutState: [1, 2, UInt64.max, UInt64(communicator.rank)]),
                            fingerprint: fingerprint, communicator: communicator)
        }
    }

    @Test func aCheckpointReadsBackExactlyForEveryRank() throws {
        let store = temporaryStore()
        try write(store, step: 6)
        let folder = try #require(store.newestComplete(warn: { Issue.record("unexpected warning \($0)") }))
        for rank in 0..<2 {
            let (restored, rankState) = try store.load(folder, rank: rank, fingerprint: fingerprint)
            #expect(restored == state(step: 6))
            #expect(rankState.dataCursor == 6 && rankState.dropoutWords == [1, 2, UInt64.max, UInt64(rank)])
        }
    }

    @Test func onlyTheNewestKeepCheckpointsAreKept() throws {
        let store = temporaryStore(keep: 2)
        for step in [3, 6, 9, 12] { try write(store, step: step) }
        let names = try FileManager.default.contentsOfDirectory(atPath: store.directory.path).sorted()
        #expect(names == ["step-00000009", "step-00000012"])
    }

    @Test(arguments: ["truncate state", "delete marker", "delete rank file", "corrupt marker"])
    func aTornNewestCheckpointIsSkippedWithAWarning(damage: String) throws {
        let store = temporaryStore(keep: 3)
        for step in [3, 6] { try write(store, step: step) }
        let newest = store.folder(step: 6)
        switch damage {
        case "truncate state":
            try Data([1, 2, 3]).write(to: newest.appendingPathComponent("state.safetensors"))
        case "delete marker":
            try FileManager.default.removeItem(at: newest.appendingPathComponent("COMPLETE.json"))
        case "delete rank file":
            try FileManager.default.removeItem(at: newest.appendingPathComponent("rank-00001.json"))
        default:
            try Data("{".utf8).write(to: newest.appendingPathComponent("COMPLETE.json"))
        }
        var warnings: [String] = []
        #expect(store.newestComplete(warn: { warnings.append($0) }) == store.folder(step: 3))
        #expect(warnings.count == 1 && warnings[0].hasPrefix("skipping \(newest.path)"))
        #expect(throws: CheckpointError.self) { try store.load(newest, rank: 0, fingerprint: fingerprint) }
    }

    @Test func aCheckpointOfADifferentRunIsRefusedNamingTheDifference() throws {
        let store = temporaryStore()
        try write(store, step: 3)
        let folder = store.folder(step: 3)
        for (other, phrase) in [
            (RunFingerprint(worldSize: 4, method: "pt", model: "m1", data: "d1"), "written by 2 rank(s) and this run has 4"),
            (RunFingerprint(worldSize: 2, method: "dept", model: "m1", data: "d1"), "its method is pt"),
            (RunFingerprint(worldSize: 2, method: "pt", model: "m2", data: "d1"), "another model"),
            (RunFingerprint(worldSize: 2, method: "pt", model: "m1", data: "d2"), "other data"),
        ] {
            #expect { try store.load(folder, rank: 0, fingerprint: other) } throws: { "\($0)".contains(phrase) }
        }
    }

    @Test func noCheckpointAtAllIsNil() {
        #expect(temporaryStore().newestComplete(warn: { _ in }) == nil)
    }
}

@Suite struct FaultInjectionTests {
    @Test func theTorchrunStyleSpecificationParses() throws {
        let fault = try FaultInjection(parsing: "rank=1,step=37,signal=KILL,restart=0")
        #expect(fault.rank == 1 && fault.step == 37 && fault.action == .signal(SIGKILL) && fault.restart == 0)
        #expect(try FaultInjection(parsing: "rank=0,step=5,signal=hang").action == .hang)
        #expect(try FaultInjection(parsing: "step=2,rank=3,signal=SIGTERM,restart=1").action == .signal(SIGTERM))
        #expect(try FaultInjection(parsing: "rank=0,step=1").action == .signal(SIGKILL))
    }

    @Test(arguments: ["rank=1", "step=3", "rank=x,step=3", "rank=0,step=0", "rank=0,step=3,signal=LOUD", "rank=0,step=3,when=now"])
    func aBadSpecificationIsRefusedNamingTheProblem(text: String) {
        #expect { try FaultInjection(parsing: text) } throws: { "\($0)".hasPrefix("SOFTPROMPT_FAULT=\(text): ") }
    }
}
