"""The app's screens, each with a sibling .tcss whose rules start with the screen's class."""
