// Imported first by the bench scripts, for its side effect: as bin/farmtally.js does, it
// silences the AWS SDK's notice that its 2027 releases need Node 22 (noise here). It has to
// be a module of its own, imported before the others: ES imports run before the importing
// module's code, and src/client/credentials.ts makes an SDK client (which warns) as it loads.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
