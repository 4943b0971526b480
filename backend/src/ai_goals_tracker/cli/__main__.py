from ai_goals_tracker.cli.main import main

main()
