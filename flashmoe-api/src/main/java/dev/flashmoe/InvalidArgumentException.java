package dev.flashmoe;

/** A value broke a documented rule. Raised before anything is launched; nothing was written. */
public class InvalidArgumentException extends FlashMoeException {
    private static final long serialVersionUID = 1L;
    private final String argument;
    private final String value;
    private final String rule;

    public InvalidArgumentException(String argument, Object value, String rule) {
        super(ErrorCode.INVALID_ARGUMENT, argument + " = " + value + ": " + rule);
        this.argument = argument;
        this.value = String.valueOf(value);
        this.rule = rule;
    }

    /** The name of the offending argument or field, e.g. {@code "hiddenSize"} or {@code "x.shape"}. */
    public String argument() {
        return argument;
    }

    public String value() {
        return value;
    }

    public String rule() {
        return rule;
    }
}
