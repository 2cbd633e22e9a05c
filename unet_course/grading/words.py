"""The grading report's words in English and Korean: verdicts, statuses, reasons, headings.

The CSV always holds the English verdicts and statuses (stable values to sort and filter by); the
HTML report speaks the language of ``--lang``. A reason (why a notebook failed or is not the
course's) is a :class:`Reason`, a key and its fields, worded when the report is written.

Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The verdict of one exercise check, in the order the report's legend lists them.
VERDICTS = ("right", "not yet", "not answered", "error", "not reached")
#: What quiz.check records (``UNET_COURSE_GRADE_RECORD``) and the verdict it stands for.
RECORDED = {"right": "right", "wrong": "not yet", "unanswered": "not answered"}
#: The status of one notebook.
STATUSES = ("ran", "failed", "not a course notebook")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "right": "right", "not yet": "not yet", "not answered": "not answered", "error": "error",
        "not reached": "not reached", "ran": "ran", "failed": "failed", "not a course notebook": "not a course notebook",
        "title": "Exercise checks of the study group",
        "learner": "learner", "notebook": "notebook", "status": "status", "chapter": "Chapter {chapter:02d}",
        "row total": "right", "totals": "right, of {count} notebook(s)", "others": "Not course notebooks",
        "summary": "{count} notebook(s): {ran} ran, {failed} failed, {other} not a course notebook.",
        "missed": "A total in bold red ({example}): fewer than half of the notebooks got this exercise right.",
        "legend right": "the check found the answer right",
        "legend not yet": "the check found the answer wrong",
        "legend not answered": "the answer is still the ... of the learner's edition",
        "legend error": "the check cell, or the answer cell before it, raised an error",
        "legend not reached": "the notebook stopped before this check, or has no check of it",
    },
    "ko": {
        "right": "맞음", "not yet": "아직", "not answered": "답 없음", "error": "오류",
        "not reached": "도달하지 못함", "ran": "실행됨", "failed": "실패", "not a course notebook": "과정 노트북이 아님",
        "title": "스터디 그룹의 연습 문제 확인 결과",
        "learner": "학습자", "notebook": "노트북", "status": "상태", "chapter": "{chapter:02d}장",
        "row total": "맞음", "totals": "맞음 / 노트북 {count}개", "others": "과정 노트북이 아닌 파일",
        "summary": "노트북 {count}개: 실행됨 {ran}개, 실패 {failed}개, 과정 노트북이 아님 {other}개입니다.",
        "missed": "굵은 빨간 합계({example})는 이 문제를 맞힌 노트북이 절반이 되지 않는다는 뜻입니다.",
        "legend right": "확인(check)이 답이 맞다고 판정했습니다",
        "legend not yet": "확인이 답이 아직 맞지 않다고 판정했습니다",
        "legend not answered": "답 셀이 아직 학습용 판의 ...입니다",
        "legend error": "확인 셀이나 그 앞의 답 셀에서 오류(exception)가 일어났습니다",
        "legend not reached": "노트북이 이 확인 전에 멈추었거나, 노트북에 이 확인이 없습니다",
    },
}

REASONS: dict[str, dict[str, str]] = {
    "en": {
        "raised": "cell {cell} raised {error}",
        "timeout": "the time limit of {seconds:g} s ran out in cell {cell}",
        "dead": "the kernel died in cell {cell}",
        "kernel": "the kernel did not run it: {error}",
        "silent": "it ran, but no check recorded a verdict: install this version of unet_course for the kernel "
                  "'{kernel}' (older versions do not record)",
        "unreadable": "not readable as a notebook: {error}",
        "unmarked": "no mark of the course's editions and no quiz.check call",
        "chapter": "no chapter of the course: the file name does not start with one (NN_) and no check names one",
    },
    "ko": {
        "raised": "셀 {cell}에서 오류가 일어났습니다: {error}",
        "timeout": "셀 {cell}에서 시간 제한 {seconds:g}초를 넘었습니다",
        "dead": "셀 {cell}에서 커널(kernel)이 멈추었습니다",
        "kernel": "커널이 노트북을 실행하지 못했습니다: {error}",
        "silent": "실행되었지만 어떤 확인도 판정을 기록하지 않았습니다. 커널 '{kernel}'에 이 버전의 unet_course를 "
                  "설치하세요(이전 버전은 기록하지 않습니다)",
        "unreadable": "노트북으로 읽을 수 없습니다: {error}",
        "unmarked": "과정의 판 표시(metadata)도 quiz.check 호출도 없습니다",
        "chapter": "과정의 장(chapter)을 알 수 없습니다. 파일 이름이 장 번호(NN_)로 시작하지 않고 어떤 확인도 장을 "
                   "가리키지 않습니다",
    },
}


@dataclass(frozen=True)
class Reason:
    """Why a notebook failed or is not the course's: a key of :data:`REASONS` and its fields
    (``cell`` is 1-based over all cells of the notebook, ``seconds`` the time limit).

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """

    key: str
    fields: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        """The reason in words, in ``lang`` (``en`` or ``ko``)."""
        return REASONS[lang][self.key].format(**self.fields)


def status_text(status: str, reason: Reason | None, lang: str = "en") -> str:
    """``ran``, or the status and its reason: ``failed: cell 24 raised NameError: ...``.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    word = WORDS[lang][status]
    return f"{word}: {reason.text(lang)}" if reason is not None else word
