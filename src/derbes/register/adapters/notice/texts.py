"""The fixed sentences of the notice (English source messages of the catalogues).

Two kinds of sentence only: what the *law* says (rights, limits of withdrawal),
cited; and what the *policy* says or does not say, each "not stated" sentence
naming the gap instead of filling it with a promise.
"""

from __future__ import annotations

from derbes.platform.i18n import N_

NOT_STATED = N_("Not stated in the policy")
ADDRESS_NOT_STATED = N_("the policy does not give its details")

# Law 94-V Art. 24, in the order of the article (see LAW.md "Rights of the subject"),
# then the rights the law as amended adds.
RIGHTS: tuple[str, ...] = (
    N_(
        "know whether the operator or a third party holds your personal data, and receive "
        "information confirming this fact and stating the purposes, sources and methods of "
        "their collection and processing, the list of the personal data, and the periods of "
        "their processing and retention"
    ),
    N_(
        "demand that your personal data be changed or supplemented where there are grounds "
        "confirmed by documents"
    ),
    N_(
        "demand that your personal data be blocked where the conditions of their collection "
        "or processing have been violated"
    ),
    N_(
        "demand that your personal data be destroyed where they were collected or processed "
        "in violation of the legislation of the Republic of Kazakhstan"
    ),
    N_(
        "withdraw your consent to the collection and processing of personal data, within the "
        "limits set out in the section on consent"
    ),
    N_(
        "give or refuse consent to the dissemination of your personal data in publicly "
        "available sources"
    ),
    N_(
        "protect your rights and lawful interests, including by a complaint to the authorised "
        "body for personal data protection or to a court"
    ),
)
RIGHT_ERASURE = N_(
    "demand that your personal data be deleted or anonymised, or their processing "
    "restricted; where the law requires the data to be kept, access to them is restricted "
    "and their processing suspended (Digital Code, Article 41)"
)
RIGHT_AUTOMATED = N_(
    "object to automated processing of your personal data that changes your rights (the "
    "objection is considered within %(term)s), and, for a decision made by automated means, "
    "be told of it, receive an explanation and have it reviewed by a person (Law No. 94-V, "
    "Article 19-1; Digital Code, Article 43)"
)

# Law 94-V Art. 8 p.2: the limits of withdrawal.
WITHDRAWAL_LIMITS = N_(
    "You may withdraw consent at any time, except where withdrawal would contradict the laws "
    "of the Republic of Kazakhstan or while an obligation between you and the operator remains "
    "unfulfilled (Law No. 94-V, Art. 8 p.2). Withdrawing consent for one purpose does not "
    "affect the other purposes. Processing on another legal basis (a contract, an obligation "
    "under the law) continues for as long as that basis applies."
)

# What the policy says, or does not say.
NS_CATEGORIES = N_("The policy does not state which personal data are processed.")
NS_DATABASE = N_("The policy does not state where the database with personal data is located.")
NS_RECIPIENTS = N_("The policy does not state to whom personal data are passed.")
NONE_RECIPIENTS = N_(
    "The policy states that personal data are not passed to third parties (%(clause)s).")
NS_COOKIES = N_("The policy does not state whether the site uses cookies.")
UNLISTED_COOKIES = N_(
    "The policy says that the site uses cookies (%(clause)s) but does not list them.")
NONE_COOKIES = N_("The policy states that the site does not use cookies (%(clause)s).")
COOKIES_CONSENT_FIRST = N_(
    "According to the policy, cookies other than strictly necessary ones are set only after "
    "your consent.")
COOKIES_BY_DEFAULT = N_(
    "According to the policy, cookies are set by default when you open and use the site, "
    "before you are asked for consent.")
NS_COOKIE_DEFAULT = N_("The policy does not state whether cookies are set before your consent.")
NS_COOKIE_REFUSAL = N_("The policy does not state how to refuse cookies.")
BROWSER_COOKIES = N_(
    "Whatever the policy says, you can block or delete cookies in your browser settings; the "
    "site may then work only in part.")
NS_CONSENT_CHANNELS = N_("The policy does not state how consent is given.")
NONE_CONSENT_CHANNELS = N_("The policy states that consent is not collected (%(clause)s).")
NS_WITHDRAWAL = N_("The policy does not state how to withdraw consent.")
NS_REQUEST_CHANNELS = N_("The policy does not state how to send a request to the operator.")
NONE_REQUEST_CHANNELS = N_("The policy names no channel for requests (%(clause)s).")
NS_COMPLAINTS = N_(
    "The policy does not name where to complain; the law gives the right to complain to the "
    "authorised body for personal data protection or to a court.")
NS_MINORS = N_("The policy does not state whether personal data of minors are processed.")
MINORS_NOT_PROCESSED = N_("The policy states that personal data of minors are not processed.")
MINORS_NOT_PROCESSED_UNDER = N_(
    "The policy states that personal data of persons under %(age)s are not processed.")
MINORS_UNDER_MAJORITY = N_(
    "Under the law, persons under %(majority)s are minors: consent for them is given by a "
    "legal representative (Law No. 94-V, Article 8).")
MINORS_WITH_REPRESENTATIVE = N_(
    "The policy states that personal data of minors are processed with the consent of their "
    "legal representatives.")
MINORS_PROCESSED = N_(
    "The policy states that personal data of minors are processed; it does not state who "
    "gives consent for them.")
MINORS_WITHOUT_REPRESENTATIVE = N_(
    "The policy states that personal data of minors are processed without the consent of "
    "their legal representatives.")
NS_SECURITY = N_("The policy does not describe the measures that protect personal data.")
NONE_SECURITY = N_("The policy states that it describes no protection measures (%(clause)s).")
NS_CHANGE = N_("The policy does not state how its changes are announced.")
NS_BASIS_NOTE = N_(
    "Where no basis is stated, processing requires your consent unless the law provides "
    "otherwise (Law No. 94-V, Articles 8 and 9).")
PURPOSE_NO_RECIPIENTS = N_("The policy names no recipient for this purpose.")
RECIPIENT_CLASS = N_("The policy describes a group of recipients, not a named recipient.")
USE_RESTRICTED = N_("The policy allows these data only for: %(uses)s")
DEADLINE_DEFAULT = N_("The law sets no term: the operator applies this term by default.")
DEADLINE_PROMISE = N_("The operator's own commitment (its policy, %(clause)s).")
DEADLINE_PROMISE_PLAIN = N_("The operator's own commitment.")
POLICY_CLAUSE = N_("Policy: %(clause)s")
MEASURES_MAP_TO = N_("Corresponds to: %(measures)s")
MEASURES_NAMED_AFTER = N_("The measures are named as in: %(rules)s.")
PROCESSOR_INTRO = N_(
    "In the following processing the operator processes personal data on behalf of another "
    "operator:")
CONDITION = N_("Condition: %(condition)s")

YES = N_("Yes")
NO = N_("No")
LICENCE_WITH_DATE = N_("No. %(number)s, issued by %(issuer)s on %(date)s")
LICENCE = N_("No. %(number)s, issued by %(issuer)s")
VERSION_LINE = N_("Version %(version)s of %(date)s")
VERSION_ONLY = N_("Version %(version)s")
DATED_ONLY = N_("Policy of %(date)s")
UNVERSIONED = N_("The policy states neither a version nor a date")
GENERATED_LINE = N_("Generated by derbes from the register sha256 %(sha)s")
DRAFT_MARK = N_("DRAFT")
DRAFT_LINE = N_(
    "Draft: the register has unwaived lint errors; this notice must not be published.")

# The first layer.
SUMMARY_WHO = N_("Who processes your data")
SUMMARY_WHAT = N_("What data")
SUMMARY_WHY = N_("Why")
SUMMARY_HOW_LONG = N_("For how long")
SUMMARY_TO_WHOM = N_("To whom they are passed")
SUMMARY_RIGHTS = N_("Your rights")
SUMMARY_HOW = N_("How to use them")
SUMMARY_RANGE = N_("from %(shortest)s to %(longest)s, depending on the purpose")
SUMMARY_ONE = N_("%(period)s")
SUMMARY_SOME_NOT_STATED = N_("for some purposes the policy does not state how long")
SUMMARY_NONE_STATED = N_("The policy does not state how long the data are kept.")
SUMMARY_RECIPIENTS = N_("%(count)s recipients or groups of recipients: %(roles)s.")
SUMMARY_ABROAD = N_("Some are outside Kazakhstan: %(countries)s.")
SUMMARY_COUNTRY_NOT_STATED = N_("For some of them the policy does not state the country.")
SUMMARY_RIGHTS_TEXT = N_(
    "You may learn what data the operator holds about you, have them corrected, blocked or "
    "deleted, withdraw your consent, object to automated decisions and complain to the "
    "authorised body for personal data protection or to a court. It is free of charge.")
SUMMARY_ANSWER = N_("The operator answers a request for access within %(term)s.")
SUMMARY_DETAILS = N_("Details: section %(n)s")
SUMMARY_SEND = N_("Send a request:")
