import SegtoolCommands

SegtoolCommand.main()
