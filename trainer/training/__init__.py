"""The training session: one Qt-free model of a live drill that every front end drives."""
