"""Every change to the IPT course: keyword-only, actor first, one transaction, one audit event.

Split by subject; import from the submodules (``ipt.care.actions.course`` and so on).
"""
