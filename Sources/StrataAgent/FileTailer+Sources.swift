import StrataIO

extension FileTailer {
    /// What a file found at `path` is: its line decoder and entry encoder, or nil when the
    /// input filters it out (a container not selected by name or namespace).
    func sourceDescription(path: String) -> (decoder: LineDecoder, encoder: EntryEncoder)? {
        switch config.kind {
        case .plain:
            return (LineDecoder(kind: .plain, maxLineBytes: config.maxLineBytes),
                    EntryEncoder(source: path, host: host, service: config.service, fields: constantFields, tags: config.tags, format: config.format))
        case .docker(_, let nameGlobs):
            // <containers>/<id>/<id>-json.log, metadata in <containers>/<id>/config.v2.json.
            let dir = FileSystem.parent(of: path)
            let id = FileSystem.baseName(dir)
            var name = String(id.prefix(12))
            var fields: [(String, String)] = [("container.id", id)]
            if let bytes = try? FileSystem.readFile(dir + "/config.v2.json"), bytes.count <= AgentLimits.maxDockerConfigBytes,
               let c = try? bytes.withUnsafeBytes({ p throws(ContainerLogError) in try DockerContainerConfig.decode(from: p) }) {
                name = c.name.hasPrefix("/") ? String(c.name.dropFirst()) : c.name
                fields.append(("container.name", name))
                fields.append(("container.image", c.image))
                if addContainerLabels {
                    for (k, v) in c.labels.sorted(by: { $0.key < $1.key }) { fields.append(("container.labels." + k, v)) }
                }
            } else {
                fields.append(("container.name", name))
            }
            if !nameGlobs.isEmpty && !nameGlobs.contains(where: { GlobPattern.matchComponent(Array($0.utf8), Array(name.utf8)) }) {
                return nil
            }
            return (LineDecoder(kind: .docker, maxLineBytes: config.maxLineBytes),
                    EntryEncoder(source: "docker", host: host, service: config.service ?? name, fields: fields + constantFields,
                                 tags: config.tags, format: config.format))
        case .kubernetes(_, let namespaces):
            guard let k = try? KubernetesLogPath.decode(from: path) else { return nil }
            if !namespaces.isEmpty && !namespaces.contains(where: { GlobPattern.matchComponent(Array($0.utf8), Array(k.namespace.utf8)) }) {
                return nil
            }
            let fields: [(String, String)] = [("kubernetes.namespace", k.namespace), ("kubernetes.pod.name", k.podName),
                                              ("kubernetes.pod.uid", k.podUID), ("kubernetes.container.name", k.containerName),
                                              ("kubernetes.container.restart_count", String(k.restartCount))]
            return (LineDecoder(kind: .cri, maxLineBytes: config.maxLineBytes),
                    EntryEncoder(source: "kubernetes", host: host, service: config.service ?? k.containerName, fields: fields + constantFields,
                                 tags: config.tags, format: config.format))
        }
    }
}
