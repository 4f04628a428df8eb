namespace Amc.Sessions;

/// <summary>
/// The settings a session was given cannot work: data that does not fit the checkpoint, a held-out
/// split out of range, a budget no policy meets, too little memory, a resume with nothing to
/// resume. The message says what to change; the CLI reports it on one line with exit code 2.
/// </summary>
public sealed class SettingsException(string message) : Exception(message);
