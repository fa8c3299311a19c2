"""Faults of the clinical routes: images, FHIR reports, scores."""

from lhv.device.faults import Fault

FAULTS: tuple[Fault, ...] = (
    Fault("response-not-fhir",
          "reports carry `issued` as a local time without time zone and `status: \"Preliminary\"`, not FHIR codes",
          ("PLAN_009",)),
    Fault("accepts-malformed-body",
          "the clinical routes drop unknown keys silently and coerce wrong types (\"4\" for 4) instead of 422",
          ("PLAN_009", "PLAN_019")),
    Fault("rejects-png", "only image/jpeg is accepted: a valid PNG image gets 422", ("PLAN_010",)),
    Fault("accepts-data-uri", "a lenient decoder strips a `data:image/...;base64,` prefix instead of refusing it",
          ("PLAN_011",)),
    Fault("accepts-non-image-base64",
          "any valid base64 is accepted: bytes that are no image of the declared type are analysed as a blank image",
          ("PLAN_011",)),
    Fault("first-image-only", "diagnosis support analyses only the first image of the list", ("PLAN_012",)),
    Fault("rejects-five-images", "an off-by-one limit check refuses 5 images (the contract allows 1-5)",
          ("PLAN_012",)),
    Fault("no-multi-image-gain",
          "the aggregate diagnosis is the first image's: extra images of the lesion add no accuracy",
          ("PLAN_013",)),
    Fault("body-site-optional",
          "a missing body site is not refused: zone-weighted systems are scored on a default site",
          ("PLAN_017", "IVCL")),
    Fault("wrong-zone-factor",
          "zone factors come from the wrong table (apasi the next PASI region's weight, ascorad the PASI weight "
          "in per cent, asalt an equal quarter per scalp view)", ("PLAN_017",)),
    Fault("report-on-refusal", "a severity request refused only for its missing body site is analysed anyway (on a "
          "default site): the 422 body carries the preliminary DiagnosticReport beside the errors", ("PLAN_017",)),
    Fault("score-arithmetic-off", "every score is 0.5 above what its own items and answers give",
          ("PLAN_017", "IVCL")),
    # Where the contract leaves the severity request open, the profile's [severity] decides; these faults depart
    # from the embedded profile (the reference device's habits). The last three are of v2's known condition.
    Fault("camel-case-keys-refused", "the severity model has no camelCase aliases: a camelCase top-level key "
          "(knownCondition, bodySite…) gets 422 extra_forbidden, though the profile says both spellings are taken "
          "(in v2, whose keys are camelCase, every severity request)", ("PLAN_009",)),
    Fault("coding-null-accepted", "v2: a null knownCondition.conclusion.coding is taken (the condition looked up by "
          "its text), as the SDK's evidence shows, though the profile says it is refused", ("PLAN_009",),
          dialects=("v2",)),
    Fault("conclusion-text-required", "v2: a knownCondition.conclusion without its text gets 422, as the SDK's "
          "evidence shows, though the profile says the text is optional", ("PLAN_009",), dialects=("v2",)),
    Fault("coding-fields-required", "v2: a coding without system, systemDisplay or display gets 422, as the SDK's "
          "evidence shows, though the profile says only its code is required", ("PLAN_009",), dialects=("v2",)),
    # v2's questionnaire-only route (CONTRACT.md Appendix B): PLAN_017's manual cases recompute every score and echo.
    Fault("manual-score-off", "v2: every questionnaire-only score (POST /severity-assessment/manual) is 0.5 above "
          "what its own echoed answers give", ("PLAN_017",), dialects=("v2",)),
    Fault("manual-echo-altered", "v2: the manual route echoes each system's first answer one step away from what "
          "was sent (the score is the sent answers')", ("PLAN_017",), dialects=("v2",)),
    Fault("manual-images-optional", "v2: the manual route takes a request without images, though the profile "
          "(manual_scores.images, the SDK's default) says they are required", ("PLAN_017",), dialects=("v2",)),
    Fault("manual-range-unchecked", "v2: the manual route takes answers outside their range (a PASI area score of 7, "
          "-1 abscesses) and scores them", ("PLAN_017",), dialects=("v2",)),
    Fault("manual-score-block-docs-2026", "v2: the manual route answers with the 2026 documentation's score block "
          "(severity{value, interpretations}), though the profile (manual_scores.score_block, the SDK's default) "
          "says interpretation{category, intensity}", ("PLAN_017",), dialects=("v2",)),
    Fault("v1-snake-sites-taken", "v1: a body site written as the contract's code (arm_left) is taken beside "
          "ARM_LEFT, though the profile says UPPER_SNAKE only", ("PLAN_009",), dialects=("v1",)),
)
