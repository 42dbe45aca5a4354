import Foundation
import Testing
@testable import StrataParse

/// The shared corpus: `$STRATA_CORPUS`, else `<package root>/../shared/corpus`.
private let corpusRoot: String = {
    if let configured = ProcessInfo.processInfo.environment["STRATA_CORPUS"], !configured.isEmpty {
        return configured
    }
    let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // StrataParseTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()
    return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus").path
}()

/// Every `loghub/*/*_structured.csv` under the corpus, sorted; empty when the corpus is missing.
private let structuredFiles: [String] = {
    let loghub = corpusRoot + "/loghub"
    let fm = FileManager.default
    let sets = (try? fm.contentsOfDirectory(atPath: loghub)) ?? []
    return sets.sorted().flatMap { set in
        ((try? fm.contentsOfDirectory(atPath: "\(loghub)/\(set)")) ?? [])
            .filter { $0.hasSuffix("_structured.csv") }
            .sorted()
            .map { "\(loghub)/\(set)/\($0)" }
    }
}()

/// The header of each loghub data set's structured CSV.
private let expectedHeaders: [String: [String]] = [
    "Android": ["LineId", "Date", "Time", "Pid", "Tid", "Level", "Component", "Content", "EventId", "EventTemplate"],
    "Apache": ["LineId", "Time", "Level", "Content", "EventId", "EventTemplate"],
    "BGL": ["LineId", "Label", "Timestamp", "Date", "Node", "Time", "NodeRepeat", "Type", "Component", "Level", "Content", "EventId", "EventTemplate"],
    "HDFS": ["LineId", "Date", "Time", "Pid", "Level", "Component", "Content", "EventId", "EventTemplate"],
    "HPC": ["LineId", "LogId", "Node", "Component", "State", "Time", "Flag", "Content", "EventId", "EventTemplate"],
    "Hadoop": ["LineId", "Date", "Time", "Level", "Process", "Component", "Content", "EventId", "EventTemplate"],
    "HealthApp": ["LineId", "Time", "Component", "Pid", "Content", "EventId", "EventTemplate"],
    "Linux": ["LineId", "Month", "Date", "Time", "Level", "Component", "PID", "Content", "EventId", "EventTemplate"],
    "Mac": ["LineId", "Month", "Date", "Time", "User", "Component", "PID", "Address", "Content", "EventId", "EventTemplate"],
    "OpenSSH": ["LineId", "Date", "Day", "Time", "Component", "Pid", "Content", "EventId", "EventTemplate"],
    "OpenStack": ["LineId", "Logrecord", "Date", "Time", "Pid", "Level", "Component", "ADDR", "Content", "EventId", "EventTemplate"],
    "Proxifier": ["LineId", "Time", "Program", "Content", "EventId", "EventTemplate"],
    "Spark": ["LineId", "Date", "Time", "Level", "Component", "Content", "EventId", "EventTemplate"],
    "Thunderbird": ["LineId", "Label", "Timestamp", "Date", "User", "Month", "Day", "Time", "Location", "Component", "PID", "Content", "EventId", "EventTemplate"],
    "Windows": ["LineId", "Date", "Time", "Level", "Component", "Content", "EventId", "EventTemplate"],
    "Zookeeper": ["LineId", "Date", "Time", "Level", "Node", "Component", "Id", "Content", "EventId", "EventTemplate"],
]

/// All non-blank rows of `path` as Python's `csv.reader` reads them.
private func pythonRows(_ path: String) throws -> [[String]] {
    let script = """
        import csv, json, sys
        with open(sys.argv[1], newline='', encoding='utf-8') as f:
            json.dump([r for r in csv.reader(f) if r], sys.stdout)
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "python3 csv.reader failed on \(path)")
    return try JSONDecoder().decode([[String]].self, from: data)
}

@Suite struct CSVCorpusTests {
    @Test func loghubCorpusHoldsEveryStructuredFile() {
        let sets = structuredFiles.map { URL(fileURLWithPath: $0).deletingLastPathComponent().lastPathComponent }
        #expect(Set(sets) == Set(expectedHeaders.keys))
    }

    @Test(arguments: structuredFiles)
    func structuredFileParsesLikePythonCSV(path: String) throws {
        let set = URL(fileURLWithPath: path).deletingLastPathComponent().lastPathComponent
        let bytes = try #require(FileManager.default.contents(atPath: path)).map { $0 }

        var rows: [[String]] = []
        var parser = CSVParser(options: CSVOptions(header: .auto))
        var lineIds: [String] = []
        var dataRecords = 0
        try bytes.withUnsafeBytes { buffer in
            try CSVParser.splitRecords(in: buffer) { record in
                rows.append(try parser.fields(of: record))
                guard let pairs = try parser.parse(record: record) else { return }
                dataRecords += 1
                lineIds.append(pairs.first { $0.key == "LineId" }?.value ?? "")
            }
        }

        #expect(dataRecords == 2000)
        #expect(parser.columns == expectedHeaders[set])
        #expect(lineIds == (1...2000).map { String($0) })

        let expected = try pythonRows(path)
        #expect(rows.count == expected.count)
        for (index, (ours, theirs)) in zip(rows, expected).enumerated() where ours != theirs {
            Issue.record("\(set) row \(index): ours \(ours) != python \(theirs)")
            break
        }
    }
}
