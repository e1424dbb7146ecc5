import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import SoftPromptTestSupport
import Testing

/// The built `softprompt` on the tiny T5 folder: training under real mpirun (2 ranks == 1 rank), and inspect,
/// embed, score and predict against transformers' values (Tests/Fixtures/make_tiny_t5_unigram.py) and the model API.
@Suite(.serialized, .enabled(if: MPIRun.binary != nil, "needs mpirun on PATH and a built softprompt (scripts/setup)"))
struct T5CommandTests {
    static let model = T5Setup.modelDirectory.path

    /// The reference values transformers computed for the tiny T5 (float64).
    static func reference() throws -> [String: Any] {
        let url = MPIRun.packageRoot.appendingPathComponent("Tests/SoftPromptTrainingTests/Fixtures/tiny_t5_unigram_reference.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test(arguments: ["pt", "dept"])
    func twoRanksUnderMpirunReproduceOneRank(method: String) throws {
        let one = try Self.train(method: method, ranks: 1)
        defer { try? FileManager.default.removeItem(at: one.output) }
        let two = try Self.train(method: method, ranks: 2)
        defer { try? FileManager.default.removeItem(at: two.output) }
        // Not bit-identical: each rank's micro-batches hold other examples (dealt by rows) than one rank's, so
        // BLAS rounds other shapes, and AdamW's normalised steps carry the Float32 rounding on (as on the BERT path).
        #expect(relativeError(two.theta.doubles, one.theta.doubles) < 5e-6)

        // The exported adapter answers the demo task as the run's own final evaluation did.
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: one.output.appendingPathComponent("summary.json"))) as? [String: Any])
        let predicted = try Self.json(["predict", "--model", Self.model, "--adapter", one.output.appendingPathComponent("adapter").path,
                                       "--task", "demo", "--max-length", "36", "--json"])
        // Evaluation batches differ (padding), so a near-tie may flip one answer of 500.
        #expect(abs((predicted["test.accuracy"] as? Double ?? -1) - (summary["validation.accuracy"] as? Double ?? 1)) <= 0.002)
        #expect(summary["backbone"] as? String == "t5")
    }

    @Test func inspectDescribesTheT5() throws {
        let object = try Self.json(["inspect", "--model", Self.model, "--json"])
        #expect(object["architecture"] as? String == "T5ForConditionalGeneration")
        #expect(object["layers"] as? Int == 2 && object["decoder_layers"] as? Int == 2)
        #expect(object["hidden_size"] as? Int == 32 && object["heads"] as? Int == 4 && object["vocab_size"] as? Int == 3100)
        #expect(object["tied_word_embeddings"] as? Bool == true && object["feed_forward"] as? String == "relu")
        #expect(object["parameters"] as? Int == 140_608)
    }

    @Test func embedMatchesTransformersMeanPooledEncoderState() throws {
        let cases = try #require(try Self.reference()["embed"] as? [[String: Any]])
        for reference in cases {
            let object = try Self.json(["embed", "--model", Self.model, "--json", try #require(reference["text"] as? String)])
            #expect(object["ids"] as? [Int] == reference["ids"] as? [Int])
            let embedding = try #require(object["embedding"] as? [Double]), expected = try #require(reference["embedding"] as? [Double])
            #expect(zip(embedding, expected).allSatisfy { abs($0 - $1) <= 1e-5 })
        }
    }

    /// `score` prints transformers' ids, loss and per-token log-probabilities, and its loss is the mean of its
    /// −log-probabilities, which are `T5Model.tokenLogProbabilities` of the same ids.
    @Test func scoreMatchesTransformersAndTheModelsTokenLogProbabilities() throws {
        let cases = try #require(try Self.reference()["score"] as? [[String: Any]])
        let model = try T5(directory: ModelDirectory(T5Setup.modelDirectory))
        for reference in cases {
            let object = try Self.json(["score", "--model", Self.model, "--json",
                                        "--input", try #require(reference["input"] as? String),
                                        "--target", try #require(reference["target"] as? String)])
            let ids = try #require(object["ids"] as? [Int]), targetIds = try #require(object["target_ids"] as? [Int])
            #expect(ids == reference["ids"] as? [Int])
            #expect(targetIds == reference["target_ids"] as? [Int])
            let loss = try #require(object["loss"] as? Double), logprobs = try #require(object["logprobs"] as? [Double])
            #expect(abs(loss - (reference["loss"] as? Double ?? .nan)) <= 1e-5)
            let expected = try #require(reference["logprobs"] as? [Double])
            #expect(zip(logprobs, expected).allSatisfy { abs($0 - $1) <= 1e-5 })
            #expect(abs(loss + logprobs.reduce(0, +) / Double(logprobs.count)) <= 1e-6)

            let embeds = try ids.flatMap { id -> [Float] in
                var row = [Float](repeating: 0, count: 32)
                try model.embedTokens(ids: [Int32(id)], count: 1, into: &row)
                return row
            }
            model.encode(inputsEmbeds: embeds, mask: [Int32](repeating: 1, count: ids.count), batch: 1, length: ids.count)
            let labels = targetIds.map(Int32.init)
            var decoderIds = [Int32](repeating: 0, count: labels.count), direct = [Float](repeating: 0, count: labels.count)
            model.shiftRight(labels: labels, batch: 1, length: labels.count, into: &decoderIds)
            try model.tokenLogProbabilities(decoderInputIds: decoderIds, labels: labels, length: labels.count, into: &direct)
            // Float32 in both; the binary may be built with other CPU flags (FMA) than the tests: rounding apart.
            #expect(abs(direct.reduce(0) { $0 + Double($1) } - logprobs.reduce(0, +)) <= 1e-5)
        }
    }

    // MARK: - Running the binary

    struct TrainedRun {
        let output: URL
        let theta: [Float]
    }

    /// A 12-step demo-task run of `method` on the tiny T5, directly (1 rank) or under `launch --np`.
    static func train(method: String, ranks: Int) throws -> TrainedRun {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("t5-mpi-\(method)-\(ranks)-\(UUID().uuidString)")
        var train = ["train", "--model", model, "--task", "demo", "--steps", "12", "--batch-size", "6",
                     "--max-length", "36", "--lr", "0.05", "--eval-every", "0", "--output", output.path, "--method", method]
        train += method == "dept" ? ["--prompt-length", "4", "--dept-rank", "4", "--low-rank-lr", "0.005"] : ["--prompt-length", "6"]
        _ = try run(ranks == 1 ? train : ["launch", "--np", String(ranks), "--"] + train)
        let theta = try SafetensorsFile(url: output.appendingPathComponent("theta.safetensors")).tensor("theta").toArray()
        return TrainedRun(output: output, theta: theta)
    }

    /// The JSON object a command prints on its last line.
    static func json(_ arguments: [String], environment: [String: String] = [:]) throws -> [String: Any] {
        let out = try run(arguments, environment: environment)
        let line = out.split(separator: "\n").last.map(String.init) ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(out)")
    }

    /// Runs the binary, with `environment` added to this process's; its standard output, or an error with its status.
    /// Its standard error is passed on to this process's.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let result = try capture(arguments, environment: environment)
        FileHandle.standardError.write(Data(result.error.utf8))
        guard result.status == 0 else { throw MPIRunError.failed(arguments.count, result.status) }
        return result.output
    }

    /// Runs the binary with `environment` added to this process's and the `unsetting` variables removed; its exit
    /// status, standard output and standard error (through a file, so that neither pipe can fill and block it).
    static func capture(_ arguments: [String], environment: [String: String] = [:],
                        unsetting: [String] = []) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MPIRun.binary!)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        for name in unsetting { merged.removeValue(forKey: name) }
        process.environment = merged
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errorHandle
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errorHandle.close()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self),
                (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "")
    }
}
