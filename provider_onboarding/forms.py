"""Forms for providers joining the service."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovSelect,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from marketplace.accounts.forms import email_field, name_field, new_password_fields
from marketplace.accounts.services import check_new_password
from marketplace.directory.models import (
    MAX_UNIT_PRICE_PENCE,
    AgeGroup,
    DeliveryMode,
    PriceUnit,
    ProviderKind,
    WorkerGender,
)
from marketplace.directory.services import WEEKDAYS
from marketplace.errors import DomainError
from marketplace.forms import (
    BaseForm,
    DateInputField,
    MoneyField,
    checkboxes_field,
    optional_checkboxes_field,
    radio_field,
    select_field,
    strip_whitespace,
    submit_button,
    text_field,
)
from marketplace.widgets import Radios
from provider_onboarding.models import DocumentKind

CQC_LOCATION_ID_PATTERN = r"^\s*1-\d{5,12}\s*$"


def whole_number_field(
    label: str, low: int, high: int, out_of_range: str, required: str | None = None, **kwargs: Any
) -> IntegerField:
    """A whole number typed in a text box: optional unless `required` gives the message."""
    leading = InputRequired(message=required) if required else Optional()
    return IntegerField(
        label,
        widget=GovTextInput(),
        validators=[leading, NumberRange(min=low, max=high, message=out_of_range)],
        **kwargs,
    )


class NewAccountForm(BaseForm):
    """The person's own account, first on registering or claiming a listing."""

    full_name = name_field("Your full name", "Enter your full name")
    email = email_field("Your email address", "Enter your email address")
    password, confirm = new_password_fields()

    def validate_password(self, field: StringField) -> None:
        try:
            check_new_password(field.data or "", email=self.email.data)
        except DomainError as error:
            raise ValidationError(error.message) from None


class _ProviderFields(BaseForm):
    """The details a provider gives when it registers and may change later."""

    kind = radio_field(
        "What kind of provider are you?",
        "Select what kind of provider you are",
        choices=[SelectChoice(kind.value, kind.label) for kind in ProviderKind],
    )
    legal_name = text_field(
        "Legal name",
        description="Your company or charity's name, or your own name if you are a sole trader",
        required="Enter your legal name",
        max_length=200,
        too_long="Legal name must be 200 characters or fewer",
        render_kw={"autocomplete": "organization", "spellcheck": "false"},
    )
    trading_name = text_field(
        "Trading name (optional)",
        description="The name people know you by, if it is different",
        optional=True,
        max_length=200,
        too_long="Trading name must be 200 characters or fewer",
    )
    contact_phone = text_field(
        "Contact phone number",
        description="For people booking with you. For example, 0161 496 0000 or 07700 900 982",
        required="Enter a contact phone number",
        checks=[
            Regexp(
                r"^\s*(\+44\s?|0)[\d\s()-]{9,15}$",
                message="Enter a UK phone number, like 0161 496 0000 or 07700 900 982",
            ),
        ],
        render_kw={"autocomplete": "tel", "type": "tel"},
    )
    postcode = text_field(
        "Postcode",
        description="Where you work from. We never show a sole trader's full postcode.",
        required="Enter your postcode",
        render_kw={"autocomplete": "postal-code", "spellcheck": "false"},
    )

    def validate_postcode(self, field: StringField) -> None:
        from provider_onboarding.services import normalise_postcode

        try:
            field.data = normalise_postcode(field.data or "")
        except DomainError as error:
            raise ValidationError(error.message) from None


class RegisterProviderForm(NewAccountForm, _ProviderFields):
    cqc_location_id = text_field(
        "CQC location ID (optional)",
        description="If the Care Quality Commission registers you. Like 1-123456789. If your "
        "service is already listed here from the CQC register, claim it from its page instead.",
        optional=True,
        checks=[
            Regexp(
                CQC_LOCATION_ID_PATTERN,
                message="Enter a CQC location ID in the correct format, like 1-123456789",
            ),
        ],
        render_kw={"spellcheck": "false"},
    )
    submit = submit_button("Create account")


def _code_field(label: str, hint: str, missing: str, longest: int) -> StringField:
    """A required short code typed as printed (an ID, a postcode): no spelling checks."""
    return text_field(
        label,
        description=hint,
        required=missing,
        max_length=longest,
        render_kw={"spellcheck": "false"},
    )


class ClaimForm(NewAccountForm):
    cqc_location_id = _code_field(
        "CQC location ID",
        "On your CQC registration certificate, like 1-123456789",
        "Enter the CQC location ID",
        20,
    )
    cqc_provider_id = _code_field(
        "CQC provider ID",
        "Also on your certificate, like 1-101234567",
        "Enter the CQC provider ID",
        20,
    )
    postcode = _code_field(
        "Postcode of the service",
        "The postcode the CQC has for this service",
        "Enter the postcode",
        10,
    )
    submit = submit_button("Claim this listing")


class ProviderDetailsForm(_ProviderFields):
    contact_email = text_field(
        "Contact email address (optional)",
        description="For people booking with you",
        optional=True,
        max_length=254,
        too_long="Email address must be 254 characters or fewer",
        checks=[
            Email(
                message="Enter an email address like name@example.org",
                check_deliverability=False,
            )
        ],
        filters=[strip_whitespace],
        render_kw={"autocomplete": "email", "spellcheck": "false", "type": "email"},
    )
    website = text_field(
        "Website (optional)",
        description="Like https://www.example.org",
        optional=True,
        max_length=300,
        too_long="Website must be 300 characters or fewer",
        checks=[
            Regexp(r"^https?://\S+\.\S+$", message="Enter a website address starting https://")
        ],
        render_kw={"spellcheck": "false", "type": "url"},
    )
    address_line = text_field(
        "Address (optional)",
        description="Building and street. We never show a sole trader's address.",
        optional=True,
        max_length=300,
        too_long="Address must be 300 characters or fewer",
        render_kw={"autocomplete": "address-line1"},
    )
    town = text_field(
        "Town or city (optional)",
        optional=True,
        max_length=100,
        too_long="Town or city must be 100 characters or fewer",
        render_kw={"autocomplete": "address-level2"},
    )
    submit = submit_button("Save your details")


DayMonthYearField = DateInputField


class ChecksForm(BaseForm):
    tenant_id = select_field(
        "Who checks you",
        "Select who checks you",
        description="The council or NHS body where you mainly work",
        coerce=int,
    )
    dbs_certificate_number = text_field(
        "DBS certificate number",
        description="12 digits, on the top right of your certificate. Leave blank if the CQC "
        "registers you.",
        optional=True,
        render_kw={"spellcheck": "false", "inputmode": "numeric"},
    )
    dbs_issued_on = DayMonthYearField(
        "DBS certificate issue date",
        description="For example, 27 3 2024",
        validators=[Optional()],
    )
    insurer = text_field("Public liability insurer", optional=True)
    insurance_expires_on = DayMonthYearField(
        "Public liability insurance expiry date",
        description="For example, 31 12 2027",
        validators=[Optional()],
    )
    right_to_work_confirmed = BooleanField(
        "I confirm I have the right to work in the UK", widget=GovCheckboxInput()
    )
    reference_1 = text_field(
        "First reference",
        description="Name and phone number or email of someone who has employed you or known "
        "you at work",
        optional=True,
        max_length=300,
    )
    reference_2 = text_field("Second reference", optional=True, max_length=300)
    submit = submit_button("Save checks")


class UploadForm(BaseForm):
    kind = select_field(
        "What is the document",
        "Select what the document is",
        choices=[SelectChoice(kind.value, kind.label) for kind in DocumentKind],
    )
    file = FileField(
        "Upload a file",
        widget=GovFileInput(),
        description="A PDF, JPG or PNG, smaller than 10 MB",
        validators=[FileRequired(message="Select a file")],
    )
    submit = submit_button("Upload document")


class DecisionForm(BaseForm):
    move = radio_field(
        "Your decision",
        "Select your decision",
        choices=[
            SelectChoice("approve", "Approve"),
            SelectChoice("ask_more", "Ask for more information"),
            SelectChoice("reject", "Reject"),
        ],
    )
    reason = text_field(
        "Reason",
        area=True,
        description="The provider sees this. Needed to reject or ask for more information.",
        optional=True,
        max_length=2000,
    )
    submit = submit_button("Record decision")


class ListingForm(BaseForm):
    title = text_field("Title", required="Enter a title", max_length=200)
    description = text_field(
        "Description", area=True, required="Enter a description", max_length=5000
    )
    category_ids = checkboxes_field("Categories", "Select at least one category", coerce=int)
    price = MoneyField(
        "Price in pounds",
        description="For example, 21.50. At least £1.00.",
        required="Enter a price",
        most_pence=MAX_UNIT_PRICE_PENCE,
        zero_allowed=True,  # the listing rules refuse less than £1.00, with their own message
        what="price",
    )
    price_unit = radio_field(
        "Price is",
        "Select what the price is for",
        choices=[SelectChoice(unit.value, unit.label) for unit in PriceUnit],
    )
    block_quantity = whole_number_field(
        "Block: how many in a block (optional)",
        2,
        100,
        "Enter 2 to 100",
        description="For 10 sessions for the price of 8, enter 10",
    )
    block_pays_for = whole_number_field(
        "Block: how many are paid for (optional)",
        1,
        99,
        "Enter 1 to 99",
        description="For 10 sessions for the price of 8, enter 8",
    )
    delivery_mode = radio_field(
        "Where it happens",
        "Select where it happens",
        choices=[SelectChoice(mode.value, mode.label) for mode in DeliveryMode],
    )
    postcode = text_field(
        "Postcode",
        description=(
            "Where you travel from (the first part is enough, like OL1), or the venue's postcode"
        ),
        optional=True,
    )
    travel_radius_miles = whole_number_field(
        "How far you travel, in miles", 0, 200, "Enter 0 to 200 miles"
    )
    venue_address = text_field("Venue address", optional=True)
    languages = text_field(
        "Languages (optional)",
        description="Separate with commas, for example English, Urdu",
        optional=True,
        max_length=300,
    )
    worker_gender = RadioField(
        "Gender of the worker (optional)",
        widget=Radios(),
        choices=[
            SelectChoice("", "Not stated"),
            *[SelectChoice(item.value, item.label) for item in WorkerGender],
        ],
        validators=[Optional()],
        default="",
    )
    age_groups = optional_checkboxes_field(
        "Who it is for (optional)",
        description=(
            "Select every age group you support. If the CQC registers you, these are your service "
            "user bands."
        ),
        choices=[SelectChoice(group.value, group.label) for group in AgeGroup],
    )
    accessibility_notes = text_field(
        "Accessibility (optional)", area=True, optional=True, max_length=2000
    )
    cancellation_notice_hours = whole_number_field(
        "Cancellation notice, in hours",
        0,
        720,
        "Enter 0 to 720 hours",
        "Enter the notice you need, in hours",
        default=24,
    )
    cancellation_charge_percent = whole_number_field(
        "Charge for late cancellation, as a percentage of the price",
        0,
        100,
        "Enter 0 to 100",
        "Enter the charge as a percentage",
        default=0,
    )
    works_bank_holidays = BooleanField("I work on bank holidays", widget=GovCheckboxInput())
    submit = submit_button("Save")


TIMES = [SelectChoice(f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}") for h in range(24) for m in (0, 30)]


class AvailabilityForm(BaseForm):
    weekday = select_field(
        "Day",
        "Select a day",
        coerce=int,
        choices=[SelectChoice(number, day) for number, day in enumerate(WEEKDAYS)],
    )
    start_time = SelectField("From", widget=GovSelect(), choices=TIMES, default="09:00")
    end_time = SelectField(
        "To",
        widget=GovSelect(),
        choices=[*TIMES[1:], SelectChoice("23:59", "midnight")],
        default="17:00",
    )
    submit = submit_button("Add time")


class ExceptionForm(BaseForm):
    starts_on = DayMonthYearField(
        "First day off",
        validators=[InputRequired(message="Enter the first day off as day, month and year")],
    )
    ends_on = DayMonthYearField(
        "Last day off",
        validators=[InputRequired(message="Enter the last day off as day, month and year")],
    )
    reason = text_field(
        "Reason (optional)",
        optional=True,
        max_length=200,
        too_long="Keep the reason to 200 characters or fewer",
        description="Only you and your team see this. The public sees only the dates.",
    )
    # Set once the provider has seen which booked sessions fall on these days.
    confirmed = HiddenField()
    submit = submit_button("Add days off")


class BankDetailsForm(BaseForm):
    account_name = text_field(
        "Name on the account", required="Enter the name on the account", max_length=140
    )
    sort_code = text_field(
        "Sort code",
        description="Must be 6 digits long",
        required="Enter a sort code",
        checks=[
            Regexp(
                r"^\s*\d{2}[\s-]?\d{2}[\s-]?\d{2}\s*$",
                message="Enter a valid sort code like 309430",
            ),
        ],
        render_kw={"inputmode": "numeric", "spellcheck": "false"},
    )
    account_number = text_field(
        "Account number",
        description="Must be 8 digits long",
        required="Enter an account number",
        checks=[Regexp(r"^\s*\d{8}\s*$", message="Enter a valid account number like 00733445")],
        render_kw={"inputmode": "numeric", "spellcheck": "false"},
    )
    submit = submit_button("Save bank details")


class StaffForm(BaseForm):
    full_name = name_field("Their full name", "Enter their full name")
    email = email_field("Their email address", "Enter their email address")
    role = radio_field(
        "Role",
        "Select a role",
        choices=[SelectChoice("staff", "Staff"), SelectChoice("owner", "Owner")],
        default="staff",
    )
    submit = submit_button("Add to team")


class WorkerForm(BaseForm):
    name = text_field("Worker's name", required="Enter the worker's name", max_length=140)
    submit = submit_button("Add worker")


class ImportForm(BaseForm):
    file = FileField(
        "Upload a CSV or Open Referral UK JSON file",
        widget=GovFileInput(),
        description="A .csv or .json file, smaller than 2 MB",
        validators=[FileRequired(message="Select a CSV or JSON file")],
    )
    submit = submit_button("Check the file")


class ImportConfirmForm(BaseForm):
    digest = HiddenField(
        validators=[
            DataRequired(message="Upload the file again"),
            Regexp(r"^[0-9a-f]{64}$", message="Upload the file again"),
        ]
    )
    format = HiddenField(validators=[AnyOf(["csv", "json"], message="Upload the file again")])
    submit = submit_button("Import these listings as drafts")
