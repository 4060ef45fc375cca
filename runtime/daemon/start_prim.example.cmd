@echo off
rem start_prim.cmd: run by hamirrord on the node that becomes primary. Start the
rem application's services here, their start type set to Manual so that only the
rem primary runs them. What the script prints goes to the application log
rem (C:\ProgramData\hamirror\log\application.log); exit 1 when the start failed.
rem Variables: %SAFE% and %SAFEBIN% (hamirror's folder), %SAFEMODULE%, %SAFEVAR%.

echo Running start_prim %*

rem One line per service, in the order they must start:
rem net start MyService || goto failed

exit /b 0

:failed
echo start_prim failed
exit /b 1
