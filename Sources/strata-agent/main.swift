import StrataAgent
#if canImport(Glibc)
import Glibc
#endif

exit(AgentCommand.run(Array(CommandLine.arguments.dropFirst())))
