import CStrataMalloc
import StrataCLI

// Measured: a quarter of a full-text query's time went to page faults of fresh mmaps.
strata_tune_malloc()
StrataCommand.main()
