"""The working-time calendar: weekly schedule, public holidays, overrides and due dates."""
