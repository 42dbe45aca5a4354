@_exported import StrataConfig

/// Pipeline configuration errors are configuration-tree errors (`pipelines[0].parser: …`).
public typealias PipelineConfigError = ConfigPathError
