@echo off
rem stop_prim.cmd: run by hamirrord when the primary stops (stop, swap, failover,
rem Windows shutdown). "force" as first argument: the plain stop did not finish
rem within nicestoptimeout seconds; stop harder. What the script prints goes to the
rem application log (C:\ProgramData\hamirror\log\application.log).
rem Variables: %SAFE% and %SAFEBIN% (hamirror's folder), %SAFEMODULE%, %SAFEVAR%.

echo Running stop_prim %*

rem One line per service, in the reverse order of start_prim.cmd:
rem net stop MyService
rem if "%1" == "force" taskkill /F /IM myservice.exe

exit /b 0
