import CStrataMalloc
import StrataCLI

@main
struct StrataMain {
    static func main() async {
        // Measured: a quarter of a full-text query's time went to page faults of fresh mmaps.
        strata_tune_malloc()
        await StrataCommand.main()
    }
}
