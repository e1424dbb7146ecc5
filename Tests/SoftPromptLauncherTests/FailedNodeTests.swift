import SoftPromptLauncher
import Testing

/// A whole node lost (scripts/simulated-nodes, a cluster node that lost power): the launcher's failure and
/// restart messages name the node, from the rsh agent's line or from mpirun's report on its lost daemon.
@Suite struct FailedNodeTests {
    @Test func theRshAgentsLostConnectionNamesTheNode() {
        #expect(Supervisor.failedRank(in: "netns-rsh: connection to spnode2 lost: its command was killed by signal 9")
                == "node spnode2 lost (netns-rsh: its command was killed by signal 9)")
        #expect(Supervisor.failedRank(in: "netns-rsh: connection to node-7.cluster lost") == "node node-7.cluster lost (netns-rsh)")
    }

    @Test func mpirunsLostDaemonReportNamesTheRemoteNodeNotItsOwn() {
        // Open MPI 4.1's help-errmgr-base.txt [node-died], one line at a time as the Supervisor reads them.
        let report = """
            --------------------------------------------------------------------------
            ORTE has lost communication with a remote daemon.

              HNP daemon   : [[43481,0],0] on node vm
              Remote daemon: [[43481,0],2] on node spnode2

            This is usually due to either a failure of the TCP network
            connection to the node, or possibly an internal failure of
            the daemon itself. We cannot recover from this failure, and
            therefore will terminate the job.
            --------------------------------------------------------------------------
            """
        let named = report.split(separator: "\n", omittingEmptySubsequences: false).compactMap { Supervisor.failedRank(in: String($0)) }
        #expect(named == ["node spnode2 lost (mpirun lost communication with its daemon [[43481,0],2])"])
    }

    @Test func ranksAndOtherLinesAreNotTakenForALostNode() {
        #expect(Supervisor.failedRank(in: "[1,2]<stderr>:client: connection to db lost: timeout") == nil)
        #expect(Supervisor.failedRank(in: "  Local host: spnode1") == nil)
        #expect(Supervisor.failedRank(in: "  Peer host:  spnode2") == nil)
        #expect(Supervisor.failedRank(in: "netns-rsh: no simulated node spnode3 (scripts/simulated-nodes up)") == nil)
        // A rank's failure keeps its own wording.
        #expect(Supervisor.failedRank(in: "mpirun noticed that process rank 3 with PID 0 on node spnode2 exited on signal 9 (Killed).")
                == "rank 3 (PID 0) on node spnode2 exited on signal 9 (Killed)")
    }
}
