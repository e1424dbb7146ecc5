// swift-tools-version:6.1
import PackageDescription

// Every layer of DESIGN.md §2 is its own target, so the compiler enforces the direction of dependencies:
// C targets ← Tensor ← Checkpoint ← Models …; Distributed stands on CMPI alone.
let package = Package(
    name: "SoftPrompt",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "softprompt", targets: ["softprompt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C: the bridges to MPI and BLAS (OpenBLAS linked, or MKL loaded at run time), and the row kernels
        // compiled per instruction set
        .systemLibrary(name: "COpenMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .target(name: "CMPI", dependencies: ["COpenMPI"]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CBLASBackend", dependencies: ["CBLAS"]),
        .target(name: "CKernels"),

        // Layers
        .target(name: "SoftPromptTensor", dependencies: [
            "CBLAS", "CBLASBackend", "CKernels",
            .product(name: "RealModule", package: "swift-numerics"),
        ]),
        .target(name: "SoftPromptJSON"),
        .target(name: "SoftPromptCheckpoint", dependencies: ["SoftPromptTensor", "SoftPromptJSON"]),
        .target(name: "SoftPromptTokenizers", dependencies: ["SoftPromptJSON"]),
        .target(name: "SoftPromptModels", dependencies: ["SoftPromptTensor", "SoftPromptCheckpoint"]),
        .target(name: "SoftPromptMethods", dependencies: ["SoftPromptTensor"]),
        .target(name: "SoftPromptTasks", dependencies: ["SoftPromptTensor", "SoftPromptTokenizers", "SoftPromptJSON"]),
        .target(name: "SoftPromptDistributed", dependencies: ["CMPI"]),
        .target(name: "SoftPromptLauncher", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "SoftPromptTraining", dependencies: [
            "SoftPromptTensor", "SoftPromptCheckpoint", "SoftPromptModels", "SoftPromptMethods", "SoftPromptDistributed",
            "SoftPromptTasks",
        ]),

        // The CLI
        .executableTarget(name: "softprompt", dependencies: [
            "SoftPromptTensor", "SoftPromptCheckpoint", "SoftPromptDistributed", "SoftPromptTokenizers",
            "SoftPromptModels", "SoftPromptMethods", "SoftPromptTasks", "SoftPromptTraining", "SoftPromptLauncher",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Helpers shared by the test targets (finite differences, fixtures); never linked into the product.
        .target(name: "SoftPromptTestSupport", dependencies: ["SoftPromptTensor", "SoftPromptDistributed"],
                path: "Tests/SoftPromptTestSupport"),

        // One test target per layer
        .testTarget(name: "SoftPromptTensorTests", dependencies: ["SoftPromptTensor", "SoftPromptTestSupport", "CKernels"]),
        .testTarget(name: "SoftPromptJSONTests", dependencies: ["SoftPromptJSON"]),
        .testTarget(name: "SoftPromptCheckpointTests", dependencies: ["SoftPromptCheckpoint"]),
        .testTarget(name: "SoftPromptTasksTests", dependencies: ["SoftPromptTasks", "SoftPromptTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftPromptMethodsTests", dependencies: ["SoftPromptMethods", "SoftPromptTestSupport"]),
        .testTarget(name: "SoftPromptTrainingTests", dependencies: [
                        "SoftPromptTraining", "SoftPromptModels", "SoftPromptMethods", "SoftPromptTasks", "SoftPromptCheckpoint",
                        "SoftPromptDistributed", "SoftPromptTestSupport", "SoftPromptTokenizers",
                    ],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftPromptLauncherTests", dependencies: ["SoftPromptLauncher"]),
        .testTarget(name: "SoftPromptDistributedTests", dependencies: ["SoftPromptDistributed", "SoftPromptTestSupport"]),
        .testTarget(name: "SoftPromptTokenizersTests", dependencies: ["SoftPromptTokenizers", "SoftPromptCheckpoint"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SoftPromptModelsTests", dependencies: ["SoftPromptModels", "SoftPromptCheckpoint", "SoftPromptTestSupport"],
                    resources: [.copy("Fixtures")]),
    ]
)
