#!/usr/bin/env node
// The installed command; the code is compiled from src/cli/troupectl.ts (`npm run build`).
import '../dist/src/cli/troupectl.js';
