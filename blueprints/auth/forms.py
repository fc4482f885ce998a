"""Account forms."""

from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from blueprints.forms import Form
from services.accounts.passwords import MAX_LENGTH

TOO_LONG = f"Use at most {MAX_LENGTH} characters."
PASSWORD_HELP = "At least 8 characters. A few unrelated words make a strong, memorable password."


class EmailForm(Form):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    next = HiddenField()


class FinishRegistrationForm(Form):
    display_name = StringField(
        "Your name", validators=[DataRequired("Enter the name your partner knows you by."), Length(max=60)]
    )
    password = PasswordField(
        "Choose a password",
        validators=[DataRequired("Choose a password."), Length(max=MAX_LENGTH, message=TOO_LONG)],
        description=PASSWORD_HELP,
    )
    practice_name = StringField(
        "Your practice", validators=[Length(max=120)], description="Shown to the couples you work with."
    )


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH, message=TOO_LONG)]
    )
    next = HiddenField()


class ChangePasswordForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a new password."), Length(max=MAX_LENGTH, message=TOO_LONG)],
        description=PASSWORD_HELP,
    )


class ResetPasswordForm(Form):
    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a new password."), Length(max=MAX_LENGTH, message=TOO_LONG)],
        description=PASSWORD_HELP,
    )


class ConfirmPasswordForm(Form):
    password = PasswordField("Your password", validators=[DataRequired("Enter your password.")])
    next = HiddenField()


DELETE_PHRASE = "delete my account"


class DeleteAccountForm(Form):
    """Deleting is for good, so the person types what they mean rather than clicking past it."""

    phrase = StringField(
        f"Type \u201c{DELETE_PHRASE}\u201d to confirm",
        validators=[DataRequired(f"Type \u201c{DELETE_PHRASE}\u201d to confirm.")],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )

    def validate_phrase(self, field):
        if " ".join((field.data or "").lower().split()) != DELETE_PHRASE:
            raise ValidationError(f"Type \u201c{DELETE_PHRASE}\u201d exactly, or go back if you've changed your mind.")
