"""The red-flag questions as a dialog: asked before a real sensor's samples are used (Connect,
``dashboard --device``), as `record --device` asks them on a terminal.

The questions, the rules and the store are ``trainer.drills.safety`` / ``DrillStore``: this only
asks. Any "yes" means see a doctor: the dialog says so and training does not start.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)


class SafetyDialog(QDialog):
    """One yes/no row per red-flag question; OK only once every question is answered."""

    def __init__(self, parent: QWidget | None, reason: str) -> None:
        from trainer.drills.catalog import load_catalog
        from trainer.drills.safety import questions

        super().__init__(parent)
        self.setWindowTitle("Before you train: safety questions")
        lay = QVBoxLayout(self)
        intro = QLabel(f"{reason}\n\n{load_catalog().safety.intro}")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        grid = QGridLayout()
        self.groups: dict[str, QButtonGroup] = {}
        for row, q in enumerate(questions()):
            text = QLabel(f"{row + 1}. {q['text']}")
            text.setWordWrap(True)
            yes, no = QRadioButton("yes"), QRadioButton("no")
            group = QButtonGroup(self)
            group.addButton(yes, 1)
            group.addButton(no, 0)
            group.buttonClicked.connect(self._update)
            self.groups[q["id"]] = group
            grid.addWidget(text, row, 0)
            grid.addWidget(yes, row, 1)
            grid.addWidget(no, row, 2)
        lay.addLayout(grid)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._update()

    def _update(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(all(g.checkedId() in (0, 1) for g in self.groups.values()))

    def answers(self) -> dict[str, bool]:
        return {qid: g.checkedId() == 1 for qid, g in self.groups.items()}


def ask_screening(parent: QWidget | None, reason: str) -> bool:
    """Ask, store the answers, say what they mean; True when training may start."""
    from trainer.drills.safety import SafetyError, screen
    from trainer.drills.store import DrillStore

    dialog = SafetyDialog(parent, reason)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    store = DrillStore()
    try:
        store.save_screening(screen(dialog.answers()))
    except (SafetyError, OSError) as exc:
        QMessageBox.warning(parent, "Safety questions", f"The answers were not stored: {exc}")
        return False
    gate = store.gate()
    if not gate.may_train:
        QMessageBox.warning(parent, "See a doctor first", gate.message)
        return False
    return True


def ask_confirm(parent: QWidget | None, message: str) -> bool:
    """A yes/no pre-start question (e.g. "is the sensor on the foot?")."""
    answer = QMessageBox.question(parent, "Before you start", message)
    return answer == QMessageBox.StandardButton.Yes


def ask_placement(parent: QWidget | None, message: str, needed: str) -> str:
    """The placement dialog before a drill: "moved" (the sensor is now on ``needed``),
    "continue" (train unmeasured) or "cancel"."""
    box = QMessageBox(QMessageBox.Icon.Information, "Sensor placement", message, parent=parent)
    moved = box.addButton(f"Sensor is on the {needed} now", QMessageBox.ButtonRole.AcceptRole)
    go_on = box.addButton("Continue without measurement", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    return "moved" if clicked is moved else "continue" if clicked is go_on else "cancel"
