"""The exercise bank: one module per chapter, each with a list ``QUESTIONS``.

``unet_course.quiz`` collects every module of this package; ids are ``"NN.short-name"``.
"""
