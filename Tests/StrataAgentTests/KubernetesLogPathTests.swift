import Testing
import StrataAgent

@Suite struct KubernetesLogPathTests {
    @Test func fixtureTreePathsDecode() throws {
        let files = try Fixture.files(under: "pods")
        let decoded = try files.map { path throws(ContainerLogError) in try KubernetesLogPath.decode(from: Fixture.root + "/pods/" + path) }
        #expect(decoded == [
            KubernetesLogPath(namespace: "kube-system", podName: "etcd-node-1.example.com", podUID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                              containerName: "etcd", restartCount: 3),
            KubernetesLogPath(namespace: "shop", podName: "web-7d4b9c8f5-x2x9k", podUID: "5f1c2a4e-8b7d-4c6e-9f0a-1b2c3d4e5f60",
                              containerName: "nginx", restartCount: 0),
        ])
    }

    static let goodPaths: [(String, KubernetesLogPath)] = [
        ("/var/log/pods/default_api-0_6e2f9a1b-0c3d-4e5f-8a7b-9c0d1e2f3a4b/api/12.log",
         KubernetesLogPath(namespace: "default", podName: "api-0", podUID: "6e2f9a1b-0c3d-4e5f-8a7b-9c0d1e2f3a4b", containerName: "api", restartCount: 12)),
        ("monitoring_prometheus-k8s.v2-0_uid/config-reloader/0.log",
         KubernetesLogPath(namespace: "monitoring", podName: "prometheus-k8s.v2-0", podUID: "uid", containerName: "config-reloader", restartCount: 0)),
        ("/logs/a_b_c/d/000000007.log",
         KubernetesLogPath(namespace: "a", podName: "b", podUID: "c", containerName: "d", restartCount: 7)),
    ]

    @Test(arguments: goodPaths)
    func podLogPathsDecode(path: String, expected: KubernetesLogPath) throws {
        #expect(try KubernetesLogPath.decode(from: path) == expected)
    }

    static let badPaths: [(String, String)] = [
        ("/var/log/pods/default_web/nginx/0.log", #"pod directory "default_web" is not <namespace>_<pod>_<uid>"#),
        ("/var/log/pods/defaultweb/nginx/0.log", #"pod directory "defaultweb" is not <namespace>_<pod>_<uid>"#),
        ("/var/log/pods/_web_uid/nginx/0.log", #"pod directory "_web_uid" has an empty namespace, pod name or UID"#),
        ("/var/log/pods/ns__uid/nginx/0.log", #"pod directory "ns__uid" has an empty namespace, pod name or UID"#),
        ("/var/log/pods/ns_web_/nginx/0.log", #"pod directory "ns_web_" has an empty namespace, pod name or UID"#),
        ("/var/log/pods/ns_web_uid/nginx/0.log.20261129-100000", #"file name "0.log.20261129-100000" is not <N>.log"#),
        ("/var/log/pods/ns_web_uid/nginx/0.log.20261129-100000.gz", #"file name "0.log.20261129-100000.gz" is not <N>.log"#),
        ("/var/log/pods/ns_web_uid/nginx/current.log", #"file name "current.log" is not <N>.log"#),
        ("/var/log/pods/ns_web_uid/nginx/.log", #"file name ".log" is not <N>.log"#),
        ("/var/log/pods/ns_web_uid/nginx/1234567890.log", #"file name "1234567890.log" is not <N>.log"#),
        ("/var/log/pods/ns_web_uid/nginx/", #"file name "" is not <N>.log"#),
        ("/var/log/pods/ns_web_uid//0.log", "empty container directory name"),
        ("nginx/0.log", "fewer than three path components"),
        ("0.log", "fewer than three path components"),
        ("", "fewer than three path components"),
    ]

    @Test(arguments: badPaths)
    func otherPathsAreRejectedWithAReason(path: String, reason: String) {
        #expect(throws: ContainerLogError.notAPodLogPath(reason: reason)) { try KubernetesLogPath.decode(from: path) }
    }
}
