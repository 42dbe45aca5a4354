/// The pod and container a Kubernetes log file belongs to, read from its path.
///
/// The kubelet lays container logs out as
///
///     /var/log/pods/<namespace>_<pod-name>_<pod-uid>/<container-name>/<restart-count>.log
///
/// e.g. `/var/log/pods/kube-system_etcd-node-1.example.com_0f1e2d3c…/etcd/3.log`. Namespaces
/// (DNS labels), pod names (DNS subdomains: `-` and `.` allowed) and UIDs (UUIDs, or a config
/// hash for static pods) never contain `_`, so the directory splits at its first and last `_`.
/// Only the last three path components are read, so any root directory works (a relative path
/// too). The kubelet rotates `N.log` to `N.log.<timestamp>` (then `.gz`); those names are
/// refused: the tailer follows the live file and handles rotation by inode.
public struct KubernetesLogPath: Sendable, Equatable {
    /// The pod's namespace (`kube-system`).
    public var namespace: String
    /// The pod's name (`etcd-node-1.example.com`).
    public var podName: String
    /// The pod's UID (`6e2f…-…`), or the config hash of a static pod.
    public var podUID: String
    /// The container's name within the pod (`etcd`).
    public var containerName: String
    /// How many times the kubelet restarted the container before this file (`<N>` in `N.log`).
    public var restartCount: Int

    /// Creates a path description; decoders use `decode(from:)`.
    public init(namespace: String, podName: String, podUID: String, containerName: String, restartCount: Int) {
        self.namespace = namespace
        self.podName = podName
        self.podUID = podUID
        self.containerName = containerName
        self.restartCount = restartCount
    }

    /// Decodes a pod log file path.
    ///
    /// - Parameter path: the file's path, absolute or relative; it must end in
    ///   `<namespace>_<pod>_<uid>/<container>/<N>.log`.
    /// - Throws: `ContainerLogError.notAPodLogPath` naming the part that does not fit.
    /// - Complexity: O(`path.utf8.count`).
    public static func decode(from path: String) throws(ContainerLogError) -> KubernetesLogPath {
        let bytes = Array(path.utf8)
        var end = bytes.count
        func component() -> Range<Int>? {
            guard end > 0 else { return nil }
            var start = end
            while start > 0 && bytes[start - 1] != UInt8(ascii: "/") { start -= 1 }
            defer { end = start - 1 }
            return start..<end
        }
        func text(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }

        guard let file = component(), let container = component(), let podDir = component() else {
            throw .notAPodLogPath(reason: "fewer than three path components")
        }
        let suffix = Array(".log".utf8)
        guard file.count > suffix.count, bytes[file].suffix(suffix.count).elementsEqual(suffix) else {
            throw .notAPodLogPath(reason: "file name \"\(text(file))\" is not <N>.log")
        }
        let digits = file.lowerBound..<file.upperBound - suffix.count
        guard digits.count <= AgentLimits.maxRestartCountDigits,
              bytes[digits].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .notAPodLogPath(reason: "file name \"\(text(file))\" is not <N>.log")
        }
        let restartCount = bytes[digits].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard !container.isEmpty else { throw .notAPodLogPath(reason: "empty container directory name") }
        guard let firstUnderscore = bytes[podDir].firstIndex(of: UInt8(ascii: "_")),
              let lastUnderscore = bytes[podDir].lastIndex(of: UInt8(ascii: "_")),
              firstUnderscore < lastUnderscore else {
            throw .notAPodLogPath(reason: "pod directory \"\(text(podDir))\" is not <namespace>_<pod>_<uid>")
        }
        let namespace = podDir.lowerBound..<firstUnderscore
        let pod = firstUnderscore + 1..<lastUnderscore
        let uid = lastUnderscore + 1..<podDir.upperBound
        guard !namespace.isEmpty, !pod.isEmpty, !uid.isEmpty else {
            throw .notAPodLogPath(reason: "pod directory \"\(text(podDir))\" has an empty namespace, pod name or UID")
        }
        return KubernetesLogPath(namespace: text(namespace), podName: text(pod), podUID: text(uid),
                                 containerName: text(container), restartCount: restartCount)
    }
}
