import SoftPromptLauncher
import Testing

@Suite struct MCAParameterTests {
    @Test func mcaParametersGoToMpirunInOrderBeforeTheRankOptions() throws {
        var plan = LaunchPlan(processes: 4, hostfile: try Hostfile(path: "h", text: "spnode1 slots=2\nspnode2 slots=2\n"),
                              program: ["/opt/softprompt", "train"])
        plan.mcaParameters = [("btl", "tcp,self"), ("btl_tcp_if_include", "10.77.0.0/24")]
        plan.environment = [("OPENBLAS_NUM_THREADS", "1")]
        #expect(plan.arguments(mpirun: "mpirun") == [
            "mpirun", "--hostfile", "h", "-np", "4",
            "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "10.77.0.0/24",
            "--tag-output", "-x", "OPENBLAS_NUM_THREADS=1", "/opt/softprompt", "train",
        ])
    }

    @Test func repeatedMcaWordsArePairedAndALoneNameIsRefused() throws {
        let pairs = try #require(LaunchPlan.mcaParameters(pairing: ["btl", "tcp,self", "plm_rsh_agent", "/a b/netns-rsh"]))
        #expect(pairs.map { "\($0.0)=\($0.1)" } == ["btl=tcp,self", "plm_rsh_agent=/a b/netns-rsh"])
        #expect(LaunchPlan.mcaParameters(pairing: [])?.isEmpty == true)
        #expect(LaunchPlan.mcaParameters(pairing: ["btl", "tcp,self", "oob_tcp_if_include"]) == nil)
    }
}
