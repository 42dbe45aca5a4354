import Testing
@testable import StrataQuery

@Suite struct RowSelectionTests {
    /// `isFull` lets the token filter skip its pass over the codes; it must be exact at every
    /// row count, including the partial last word.
    @Test(arguments: [0, 1, 63, 64, 65, 130, 4096])
    func isFullOnlyWhenEveryRowIsSelected(rows: Int) {
        #expect(RowSelection(rowCount: rows, all: true).isFull)
        #expect(RowSelection(rowCount: rows, all: false).isFull == (rows == 0))
        for missing in Set([0, rows / 2, rows - 1]) where rows > 0 {
            var s = RowSelection(rowCount: rows, all: true)
            s[missing] = false
            #expect(!s.isFull, "row \(missing) of \(rows) unselected")
        }
    }

    @Test func byCodeSelectsPassingCodesWithinCandidates() {
        let codes: [UInt32] = (0..<200).map { UInt32($0 % 5) }
        var candidates = RowSelection(rowCount: 200, all: true)
        candidates[3] = false
        let s = RowSelection.byCode(codes, pass: [false, false, false, true, false], within: candidates)
        for i in 0..<200 { #expect(s[i] == (i % 5 == 3 && i != 3)) }
    }
}
