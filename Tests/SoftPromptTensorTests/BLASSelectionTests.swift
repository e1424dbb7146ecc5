import SoftPromptTensor
import Testing

/// SOFTPROMPT_BLAS and SOFTPROMPT_MKL_LIBRARY choose the library serving the products (`BLAS.select`). The loader
/// is a stand-in here, so nothing is loaded into this test process; the real MKL is exercised through the
/// binary (BLASCommandTests).
@Suite struct BLASSelectionTests {
    static let installed = "/cache/softprompt/mkl/lib/libmkl_rt.so.2"

    /// Runs the selection with `present` as the files on disk and `loadable` as the candidates that load.
    func select(_ setting: String?, path: String? = nil, intel: Bool = true, present: Set<String> = [installed],
                loadable: Set<String> = [installed, "libmkl_rt.so.2"]) throws(BLASSelectionError) -> (BLASLibrary, [String]) {
        var tried: [String] = []
        let library = try BLAS.select(setting: setting, libraryPath: path, installedPath: Self.installed, isIntelCPU: intel,
                                      fileExists: { present.contains($0) },
                                      load: { tried.append($0); return loadable.contains($0) ? nil : "cannot load \($0)" })
        return (library, tried)
    }

    @Test func autoTakesTheInstalledMKLOnAnIntelCPU() throws {
        for setting in [nil, "", "auto", " AUTO "] {
            let (library, tried) = try select(setting)
            #expect(library == .mkl && tried == [Self.installed])
        }
    }

    @Test func autoFallsBackToTheLoadersPathThenToOpenBLASWithoutComplaint() throws {
        let (onPath, triedOnPath) = try select(nil, present: [])
        #expect(onPath == .mkl && triedOnPath == ["libmkl_rt.so.2"])
        let (none, triedNone) = try select(nil, present: [], loadable: [])
        #expect(none == .openBLAS && triedNone == ["libmkl_rt.so.2"])
    }

    @Test func autoKeepsOpenBLASOnOtherCPUsWithoutLoadingAnything() throws {
        let (library, tried) = try select("auto", intel: false)
        #expect(library == .openBLAS && tried.isEmpty)
    }

    @Test func openblasIsNeverOverriddenEvenWithMKLInstalled() throws {
        let (library, tried) = try select("openblas")
        #expect(library == .openBLAS && tried.isEmpty)
    }

    @Test func mklInsistsOnAnyCPUAndNamesWhatItTriedWhenItFails() throws {
        let (library, _) = try select("mkl", intel: false)
        #expect(library == .mkl)
        let error = #expect(throws: BLASSelectionError.self) { try select("MKL", present: [], loadable: []) }
        let message = error?.description ?? ""
        #expect(message.contains("SOFTPROMPT_BLAS=mkl"))
        #expect(message.contains("\(Self.installed): no such file"))
        #expect(message.contains("cannot load libmkl_rt.so.2"))
        #expect(message.contains("scripts/setup") && message.contains("SOFTPROMPT_BLAS=openblas"))
    }

    @Test func anExplicitLibraryIsTheOnlyCandidateAndMustLoad() throws {
        let custom = "/opt/intel/mkl/lib/libmkl_rt.so.2"
        let (library, tried) = try select(nil, path: custom, present: [custom], loadable: [custom])
        #expect(library == .mkl && tried == [custom])
        let error = #expect(throws: BLASSelectionError.self) { try select(nil, path: custom, intel: false) }
        #expect(error?.description.contains("SOFTPROMPT_MKL_LIBRARY=\(custom)") == true)
        #expect(error?.description.contains("\(custom): no such file") == true)
    }

    @Test func anUnknownSettingIsRefusedWithTheValuesItTakes() {
        let error = #expect(throws: BLASSelectionError.self) { try select("atlas") }
        #expect(error?.description == "SOFTPROMPT_BLAS must be auto, openblas or mkl; got \"atlas\"")
    }

    @Test func theTestProcessRunsOnOpenBLAS() {
        #expect(BLAS.library == .openBLAS)
        #expect(BLAS.name.hasPrefix("OpenBLAS "))
    }
}
