<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Application</name>
    <message>
        <source>Settings: {problem}</source>
        <extracomment>A problem found in the settings file, shown above the chat at start-up.</extracomment>
        <translation>设置：{problem}</translation>
    </message>
</context>
<context>
    <name>AttachmentBar</name>
    <message>
        <source>Short</source>
        <translation>简短</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>适中</translation>
    </message>
    <message>
        <source>Detailed</source>
        <translation>详细</translation>
    </message>
    <message>
        <source>Bullets</source>
        <translation>要点列表</translation>
    </message>
    <message>
        <source>Prose</source>
        <translation>段落</translation>
    </message>
    <message>
        <source>Document&apos;s language</source>
        <translation>文档的语言</translation>
    </message>
    <message>
        <source>How a document too long for the model&apos;s context is summarized</source>
        <translation>超出模型上下文的长文档如何总结</translation>
    </message>
    <message>
        <source>Long documents are summarized:</source>
        <translation>长文档的总结方式：</translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message>
        <source>Plain text</source>
        <translation>纯文本</translation>
    </message>
    <message>
        <source>Markdown</source>
        <translation>Markdown</translation>
    </message>
    <message>
        <source>PDF</source>
        <translation>PDF</translation>
    </message>
    <message>
        <source>Word document</source>
        <translation>Word 文档</translation>
    </message>
    <message>
        <source>Web page</source>
        <translation>网页</translation>
    </message>
    <message>
        <source>Pasted text</source>
        <translation>粘贴的文本</translation>
    </message>
    <message>
        <source>≈ 1 token</source>
        <translation>≈ 1 个 token</translation>
    </message>
    <message>
        <source>≈ {n} tokens</source>
        <translation>≈ {n} 个 token</translation>
    </message>
    <message>
        <source>1 token</source>
        <translation>1 个 token</translation>
    </message>
    <message>
        <source>{n} tokens</source>
        <translation>{n} 个 token</translation>
    </message>
    <message>
        <source>1 character</source>
        <translation>1 个字符</translation>
    </message>
    <message>
        <source>{n} characters</source>
        <translation>{n} 个字符</translation>
    </message>
    <message>
        <source>(1 more character)</source>
        <translation>（还有 1 个字符）</translation>
    </message>
    <message>
        <source>({n} more characters)</source>
        <translation>（还有 {n} 个字符）</translation>
    </message>
    <message>
        <source>Remove this document</source>
        <translation>移除此文档</translation>
    </message>
    <message>
        <source>1 page</source>
        <translation>1 页</translation>
    </message>
    <message>
        <source>{n} pages</source>
        <translation>{n} 页</translation>
    </message>
    <message>
        <source>Hide the beginning</source>
        <translation>收起开头预览</translation>
    </message>
    <message>
        <source>Show the beginning</source>
        <translation>预览开头</translation>
    </message>
</context>
<context>
    <name>BackgroundCall</name>
    <message>
        <source>{task} failed: {reason}</source>
        <extracomment>{task} is what was being done, as its caller says it (&quot;Reading the hardware&quot;).</extracomment>
        <translation>{task}失败：{reason}</translation>
    </message>
    <message>
        <source>Something went wrong: {reason}</source>
        <translation>出现错误：{reason}</translation>
    </message>
</context>
<context>
    <name>CatalogList</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Params</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适配</translation>
    </message>
    <message>
        <source>Speed (estimate)</source>
        <translation>速度（估计）</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Hand-picked chat models, smallest first. Select one to read about it.</source>
        <translation>精选的对话模型，按从小到大排列。选择一个即可查看介绍。</translation>
    </message>
    <message>
        <source>Not on ModelScope: choose Hugging Face or a mirror as the model source to download it</source>
        <translation>魔搭社区 (ModelScope) 上没有此模型：请将模型来源设为 Hugging Face 或镜像后再下载</translation>
    </message>
    <message>
        <source>Too big for the free memory: it would swap, far slower than any estimate.</source>
        <translation>超出可用内存：会用到交换空间，速度远低于任何估计。</translation>
    </message>
    <message>
        <source>on ModelScope: {}</source>
        <translation>ModelScope 上的仓库：{}</translation>
    </message>
    <message>
        <source>not on ModelScope</source>
        <translation>ModelScope 无此模型</translation>
    </message>
    <message>
        <source>{family} · {params} parameters · {quant} · trained context {context} tokens · license {license} · {where}</source>
        <translation>{family} · {params} 参数 · {quant} · 训练上下文 {context} token · 许可证 {license} · {where}</translation>
    </message>
</context>
<context>
    <name>ChatController</name>
    <message>
        <source>Cannot open this chat: {reason}</source>
        <translation>无法打开此对话：{reason}</translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>思考中…</translation>
    </message>
</context>
<context>
    <name>ChatState</name>
    <message>
        <source>No model</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Generating…</source>
        <translation>生成中…</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Enter sends, Shift+Enter starts a new line.</source>
        <translation>Enter 发送，Shift+Enter 换行。</translation>
    </message>
    <message>
        <source>Ctrl+Enter sends, Enter starts a new line.</source>
        <translation>Ctrl+Enter 发送，Enter 换行。</translation>
    </message>
</context>
<context>
    <name>ComposerCard</name>
    <message>
        <source>Attach documents (txt, md, pdf, docx, html)</source>
        <translation>附加文档（txt、md、pdf、docx、html）</translation>
    </message>
    <message>
        <source>Attach documents</source>
        <translation>附加文档</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Send (Enter)</source>
        <translation>发送（Enter）</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the answer (Esc)</source>
        <translation>停止回答（Esc）</translation>
    </message>
</context>
<context>
    <name>ConnectionsPage</name>
    <message>
        <source>Chat with models served elsewhere over the OpenAI-compatible API: llama-server, vLLM, Ollama, LM Studio or another Lamplight.</source>
        <translation>通过 OpenAI 兼容 API 与其他位置运行的模型对话：llama-server、vLLM、Ollama、LM Studio 或另一个 Lamplight。</translation>
    </message>
    <message>
        <source>A connection is saved when you save it; its API key goes to the system&apos;s credential store, never to a file.</source>
        <translation>连接在点击“保存连接”后才会保存；API 密钥存入系统的凭据存储，绝不写入文件。</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>URL</translation>
    </message>
    <message>
        <source>At once</source>
        <translation>并发</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Forget the connection and its API key</source>
        <translation>移除此连接及其 API 密钥</translation>
    </message>
    <message>
        <source>How many requests the server may run at once (its slots)</source>
        <translation>服务器可同时处理的请求数（即其槽位数）</translation>
    </message>
    <message>
        <source>ask the server</source>
        <translation>向服务器获取</translation>
    </message>
    <message>
        <source>The context length to assume; 0 asks the server</source>
        <translation>按此上下文长度处理；0 表示向服务器获取</translation>
    </message>
    <message>
        <source>Forget the saved API key</source>
        <translation>清除已保存的 API 密钥</translation>
    </message>
    <message>
        <source>Save connection</source>
        <translation>保存连接</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>URL:</source>
        <translation>URL：</translation>
    </message>
    <message>
        <source>Requests at once:</source>
        <translation>并发请求数：</translation>
    </message>
    <message>
        <source>Context:</source>
        <translation>上下文：</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>API 密钥：</translation>
    </message>
    <message>
        <source>from the server</source>
        <translation>由服务器决定</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>Ask {server} for its models</source>
        <translation>向 {server} 查询可用模型</translation>
    </message>
    <message>
        <source>Edit {name}</source>
        <translation>编辑 {name}</translation>
    </message>
    <message>
        <source>New connection</source>
        <translation>新建连接</translation>
    </message>
    <message>
        <source>leave empty to keep the saved key</source>
        <translation>留空则保留已保存的密钥</translation>
    </message>
    <message>
        <source>none (a server without a key)</source>
        <translation>无（服务器无需密钥）</translation>
    </message>
    <message>
        <source>There is a connection named {name} already: edit it, or choose another name.</source>
        <translation>已有名为 {name} 的连接：请编辑该连接，或换一个名称。</translation>
    </message>
    <message>
        <source>Cannot save {file}: {reason}.</source>
        <translation>无法保存 {file}：{reason}。</translation>
    </message>
    <message>
        <source>{name} was removed, and its API key with it.</source>
        <translation>已移除 {name} 及其 API 密钥。</translation>
    </message>
    <message>
        <source>Testing {server}</source>
        <translation>测试 {server}</translation>
    </message>
    <message>
        <source>Asking {server} for its models…</source>
        <translation>正在向 {server} 查询可用模型…</translation>
    </message>
    <message>
        <source>{server} answers, but lists no models.</source>
        <translation>{server} 有响应，但没有列出任何模型。</translation>
    </message>
    <message>
        <source>{server} answers: 1 model: {models}.</source>
        <translation>{server} 有响应：1 个模型：{models}。</translation>
    </message>
    <message>
        <source>{server} answers: {n} models: {models} and {more} more.</source>
        <translation>{server} 有响应：共 {n} 个模型：{models}，另有 {more} 个。</translation>
    </message>
    <message>
        <source>{server} answers: {n} models: {models}.</source>
        <translation>{server} 有响应：共 {n} 个模型：{models}。</translation>
    </message>
</context>
<context>
    <name>ContextMeter</name>
    <message>
        <source>When this chat outgrows the context</source>
        <translation>对话超出上下文时</translation>
    </message>
    <message>
        <source>Summary in 1 part</source>
        <translation>分 1 部分总结</translation>
    </message>
    <message>
        <source>Summary in {n} parts</source>
        <translation>分 {n} 部分总结</translation>
    </message>
    <message>
        <source>No model</source>
        <translation>无模型</translation>
    </message>
    <message>
        <source>No model is loaded, so there is no context to measure yet.</source>
        <translation>尚未加载模型，暂无上下文可统计。</translation>
    </message>
    <message>
        <source>Context: no model loaded</source>
        <translation>上下文：未加载模型</translation>
    </message>
    <message>
        <source>This chat: {history} tokens · Your message: {draft} · Kept for the answer: {room} · Context: {limit} tokens</source>
        <translation>本对话：{history} 个 token · 你的消息：{draft} · 为回答预留：{room} · 上下文：{limit} 个 token</translation>
    </message>
    <message>
        <source>The documents do not fit the context with the chat: they will be summarized, about 1 part read, and the message answered from the summary.</source>
        <translation>文档和对话一起放不进上下文：将先总结文档（约读取 1 部分），再根据总结回答消息。</translation>
    </message>
    <message>
        <source>The documents do not fit the context with the chat: they will be summarized, about {n} parts read one after another, and the message answered from the summary.</source>
        <translation>文档和对话一起放不进上下文：将先总结文档（依次读取约 {n} 部分），再根据总结回答消息。</translation>
    </message>
    <message>
        <source>Numbers with ≈ are estimates: the model&apos;s server cannot count tokens.</source>
        <translation>带 ≈ 的数字是估算值：模型所在的服务器无法统计 token。</translation>
    </message>
    <message>
        <source>Numbers with ~ are estimates until the model counts them.</source>
        <translation>带 ~ 的数字是估算值，模型统计后会更新。</translation>
    </message>
    <message>
        <source>Context: {used} of {limit} tokens used</source>
        <translation>上下文：已用 {used} / {limit} 个 token</translation>
    </message>
    <message>
        <source>Context: {used} of {limit} tokens used; the documents will be summarized in 1 part</source>
        <translation>上下文：已用 {used} / {limit} 个 token；文档将分 1 部分总结</translation>
    </message>
    <message>
        <source>Context: {used} of {limit} tokens used; the documents will be summarized in {n} parts</source>
        <translation>上下文：已用 {used} / {limit} 个 token；文档将分 {n} 部分总结</translation>
    </message>
    <message>
        <source>When the chat outgrows the context, the model stops and says so.</source>
        <translation>对话超出上下文时，模型会停止并说明原因。</translation>
    </message>
    <message>
        <source>When the chat outgrows the context, its oldest turns are left out of what the model sees (the system prompt is kept).</source>
        <translation>对话超出上下文时，最早的几轮对话不再发给模型（系统提示词会保留）。</translation>
    </message>
    <message>
        <source>The next answer would not fit: when you send, the model stops and says so instead of answering.</source>
        <translation>下一次回答将放不下：发送后，模型会停止并说明原因，而不会回答。</translation>
    </message>
    <message>
        <source>The next answer would not fit: when you send, the oldest turns are left out.</source>
        <translation>下一次回答将放不下：发送后，最早的几轮对话会被略去。</translation>
    </message>
    <message>
        <source>Click to change what this chat does.</source>
        <translation>点击可更改本对话的处理方式。</translation>
    </message>
</context>
<context>
    <name>ConversationListModel</name>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <source>Previous 7 days</source>
        <translation>过去 7 天</translation>
    </message>
    <message>
        <source>Previous 30 days</source>
        <translation>过去 30 天</translation>
    </message>
    <message>
        <source>API</source>
        <extracomment>The heading of the chats other programs had through the local server&apos;s API.</extracomment>
        <translation>API</translation>
    </message>
    <message>
        <source>MMMM yyyy</source>
        <extracomment>The heading of an older month in the chat list, as a Qt date format (&quot;March 2026&quot;): MMMM is the month&apos;s name, M its number, yyyy the year.</extracomment>
        <translation>yyyy年M月</translation>
    </message>
    <message>
        <source>Updated {time}</source>
        <translation>更新于 {time}</translation>
    </message>
</context>
<context>
    <name>ConversationSidebar</name>
    <message>
        <source>Rename (F2)</source>
        <translation>重命名（F2）</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>New chat (Ctrl+N)</source>
        <translation>新对话（Ctrl+N）</translation>
    </message>
    <message>
        <source>Search chats</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <source>Search every message (Ctrl+F)</source>
        <translation>搜索所有消息（Ctrl+F）</translation>
    </message>
    <message>
        <source>No messages match</source>
        <translation>没有匹配的消息</translation>
    </message>
    <message>
        <source>Chat deleted.</source>
        <translation>对话已删除。</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete (Del)</source>
        <translation>删除（Del）</translation>
    </message>
</context>
<context>
    <name>Dialogs</name>
    <message>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>JSON, with every version (*.json)</source>
        <translation>JSON，包含所有版本 (*.json)</translation>
    </message>
    <message>
        <source>Documents ({patterns})</source>
        <translation>文档 ({patterns})</translation>
    </message>
    <message>
        <source>Attach documents</source>
        <translation>附加文档</translation>
    </message>
    <message>
        <source>Import chats</source>
        <translation>导入对话</translation>
    </message>
    <message>
        <source>Lamplight chats (*.json)</source>
        <translation>Lamplight 对话 (*.json)</translation>
    </message>
    <message>
        <source>Export chat</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>Import a GGUF model</source>
        <translation>导入 GGUF 模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>Import a model</source>
        <translation>导入模型</translation>
    </message>
    <message>
        <source>Copy {name} into Lamplight&apos;s models folder, or use it where it is?</source>
        <translation>将 {name} 复制到 Lamplight 的模型文件夹，还是在原位置直接使用？</translation>
    </message>
    <message>
        <source>Copy it</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Use it where it is</source>
        <translation>在原位置使用</translation>
    </message>
    <message>
        <source>Import models</source>
        <translation>导入模型</translation>
    </message>
    <message>
        <source>Copy these {n} models into Lamplight&apos;s models folder, or use them where they are?</source>
        <translation>将这 {n} 个模型复制到 Lamplight 的模型文件夹，还是在原位置直接使用？</translation>
    </message>
    <message>
        <source>Copy them</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Use them where they are</source>
        <translation>在原位置使用</translation>
    </message>
    <message>
        <source>A copy keeps working if the original is moved or deleted; using it where it is takes no extra disk space.</source>
        <translation>复制后，即使原文件被移动或删除也能继续使用；在原位置使用则不占用额外的磁盘空间。</translation>
    </message>
</context>
<context>
    <name>DownloadList</name>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
    <message>
        <source>{} left</source>
        <translation>剩余 {}</translation>
    </message>
    <message>
        <source>starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>pausing…</source>
        <translation>正在暂停…</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>{} running</source>
        <translation>{} 个进行中</translation>
    </message>
</context>
<context>
    <name>DownloadManager</name>
    <message>
        <source>Downloading {}</source>
        <translation>正在下载 {}</translation>
    </message>
    <message>
        <source>Cannot save {name}: {why}</source>
        <translation>无法保存 {name}：{why}</translation>
    </message>
</context>
<context>
    <name>DownloadRow</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop and delete what was downloaded</source>
        <translation>停止下载并删除已下载的部分</translation>
    </message>
    <message>
        <source>Pause keeps what was downloaded; Resume continues from there</source>
        <translation>暂停会保留已下载的部分；继续会从中断处接着下载</translation>
    </message>
    <message>
        <source>Failed: {}</source>
        <translation>失败：{}</translation>
    </message>
    <message>
        <source>Failed at {size} (kept): {why}</source>
        <translation>在 {size} 处失败（已保留）：{why}</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
</context>
<context>
    <name>EditBar</name>
    <message>
        <source>Editing</source>
        <translation>编辑中</translation>
    </message>
    <message>
        <source>Editing a question: Send asks it as a new version; the earlier one stays a click away.</source>
        <translation>正在编辑问题：发送后将作为新版本提问，之前的版本仍可一键切换查看。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop editing (Esc)</source>
        <translation>停止编辑（Esc）</translation>
    </message>
</context>
<context>
    <name>EmptyChat</name>
    <message>
        <source>Translate a text</source>
        <translation>翻译文本</translation>
    </message>
    <message>
        <source>Into the language you pick</source>
        <translation>译成你选择的语言</translation>
    </message>
    <message>
        <source>Summarize a document</source>
        <translation>总结文档</translation>
    </message>
    <message>
        <source>Attach, drop or paste it</source>
        <translation>附加、拖入或粘贴文档</translation>
    </message>
    <message>
        <source>Ask a question</source>
        <translation>提个问题</translation>
    </message>
    <message>
        <source>A short, clear answer</source>
        <translation>简洁明了的回答</translation>
    </message>
    <message>
        <source>Write something</source>
        <translation>写点东西</translation>
    </message>
    <message>
        <source>Draft, edit or improve</source>
        <translation>起草、编辑或润色</translation>
    </message>
    <message>
        <source>Help me write </source>
        <extracomment>Put in the message box, the caret after it: the user goes on writing.</extracomment>
        <translation>帮我写</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>Pick a model above to start chatting</source>
        <translation>在上方选择一个模型即可开始对话</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>on {server}</source>
        <extracomment>Where a model of a server elsewhere runs: the connection&apos;s name.</extracomment>
        <translation>运行于 {server}</translation>
    </message>
    <message>
        <source>{size} · on this computer</source>
        <translation>{size} · 在本机运行</translation>
    </message>
    <message>
        <source>on this computer</source>
        <translation>在本机运行</translation>
    </message>
    <message>
        <source>Drop a file here to ask about it or summarize it</source>
        <translation>将文件拖到此处，即可就其提问或进行总结</translation>
    </message>
</context>
<context>
    <name>ErrorBanner</name>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Dismiss the message</source>
        <translation>关闭此消息</translation>
    </message>
</context>
<context>
    <name>HardwareCard</name>
    <message>
        <source>CPU cores</source>
        <translation>CPU 核心数</translation>
    </message>
    <message>
        <source>Memory (RAM)</source>
        <translation>内存 (RAM)</translation>
    </message>
    <message>
        <source>GPU offload</source>
        <translation>GPU 卸载</translation>
    </message>
    <message>
        <source>Reading the hardware…</source>
        <translation>正在读取硬件信息…</translation>
    </message>
    <message>
        <source>Available</source>
        <translation>可用</translation>
    </message>
    <message>
        <source>Not in this build</source>
        <translation>此版本不支持</translation>
    </message>
    <message>
        <source>Runs on: {backend}</source>
        <translation>运行于：{backend}</translation>
    </message>
</context>
<context>
    <name>HardwareProbe</name>
    <message>
        <source>Reading the hardware</source>
        <translation>读取硬件信息</translation>
    </message>
</context>
<context>
    <name>HubSearch</name>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Repo</source>
        <translation>仓库</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>下载量</translation>
    </message>
    <message>
        <source>Likes</source>
        <translation>点赞</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适配</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>the Hugging Face hub</source>
        <translation>Hugging Face Hub</translation>
    </message>
    <message>
        <source>ModelScope</source>
        <translation>魔搭社区 (ModelScope)</translation>
    </message>
    <message>
        <source>the mirror {}</source>
        <translation>镜像 {}</translation>
    </message>
    <message>
        <source>Search {} for GGUF models, e.g. qwen 1.5b, then Enter</source>
        <translation>在 {} 中搜索 GGUF 模型，如 qwen 1.5b，按 Enter 键开始</translation>
    </message>
    <message>
        <source>Nothing is sent to {} until you search.</source>
        <translation>在你搜索之前，不会向 {} 发送任何内容。</translation>
    </message>
    <message>
        <source>Choose a model source first.</source>
        <translation>请先选择模型来源。</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message>
        <source>Searching {}</source>
        <translation>正在搜索 {}</translation>
    </message>
    <message>
        <source>No GGUF repos on {source} match &apos;{query}&apos;.</source>
        <translation>{source} 上没有与“{query}”匹配的 GGUF 仓库。</translation>
    </message>
    <message>
        <source>{} returned no GGUF repos.</source>
        <translation>{} 没有返回任何 GGUF 仓库。</translation>
    </message>
    <message>
        <source>{} repos. Select one to see its GGUF files.</source>
        <translation>找到 {} 个仓库。选择一个即可查看其中的 GGUF 文件。</translation>
    </message>
    <message>
        <source>updated {}</source>
        <translation>更新于 {}</translation>
    </message>
    <message>
        <source>gated: needs an accepted licence and HF_TOKEN</source>
        <translation>需授权：需先接受许可协议并设置 HF_TOKEN</translation>
    </message>
    <message>
        <source>Listing the files of {}…</source>
        <translation>正在列出 {} 的文件…</translation>
    </message>
    <message>
        <source>Listing {}</source>
        <translation>正在列出 {}</translation>
    </message>
    <message>
        <source>{repo}: {n} GGUF files</source>
        <translation>{repo}：{n} 个 GGUF 文件</translation>
    </message>
    <message>
        <source>license {}</source>
        <translation>许可证 {}</translation>
    </message>
    <message>
        <source>gated: accept its licence on the hub and set HF_TOKEN to download</source>
        <translation>需授权：请先在 Hub 上接受其许可协议并设置 HF_TOKEN，然后再下载</translation>
    </message>
    <message>
        <source>{} has no GGUF files.</source>
        <translation>{} 中没有 GGUF 文件。</translation>
    </message>
    <message>
        <source>all split into parts, which Lamplight cannot load yet</source>
        <translation>全部为分卷文件，Lamplight 暂时无法加载</translation>
    </message>
    <message>
        <source>split ({} parts)</source>
        <translation>分卷（共 {} 个）</translation>
    </message>
    <message>
        <source>One of {} parts of a split model; split models cannot be downloaded yet.</source>
        <translation>分卷模型（共 {} 个分卷）中的一个分卷；暂不支持下载分卷模型。</translation>
    </message>
</context>
<context>
    <name>ImportFoundDialog</name>
    <message>
        <source>Import models found on this computer</source>
        <translation>导入在本机找到的模型</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>From</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Use them where they are (no extra disk space)</source>
        <translation>在原位置直接使用（不占用额外磁盘空间）</translation>
    </message>
    <message>
        <source>Copy them into Lamplight&apos;s models folder</source>
        <translation>复制到 Lamplight 的模型文件夹</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>These GGUF files were downloaded by other apps. Tick the ones to add to Lamplight.</source>
        <translation>以下 GGUF 文件由其他应用下载。请勾选要添加到 Lamplight 的文件。</translation>
    </message>
</context>
<context>
    <name>InferenceWorker</name>
    <message>
        <source>Cannot load {name}: {reason}</source>
        <translation>无法加载 {name}：{reason}</translation>
    </message>
    <message>
        <source>The model could not answer: {reason}</source>
        <translation>模型无法回答：{reason}</translation>
    </message>
</context>
<context>
    <name>InstalledList</name>
    <message>
        <source>unreadable: {}</source>
        <translation>无法读取：{}</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Params</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适配</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Reading model headers</source>
        <translation>正在读取模型文件头</translation>
    </message>
    <message>
        <source>in use</source>
        <translation>使用中</translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation>无法读取</translation>
    </message>
    <message>
        <source>built-in</source>
        <translation>内置</translation>
    </message>
    <message>
        <source>linked</source>
        <translation>已链接</translation>
    </message>
    <message>
        <source>imported</source>
        <translation>已导入</translation>
    </message>
    <message>
        <source>models folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>This file cannot be loaded: see why below</source>
        <translation>无法加载此文件：原因见下方</translation>
    </message>
    <message>
        <source>Chat with this model</source>
        <translation>用此模型对话</translation>
    </message>
    <message>
        <source>Select a model to see its details.</source>
        <translation>选择一个模型以查看详情。</translation>
    </message>
    <message>
        <source>No models yet: download one from the catalog or the hub.</source>
        <translation>还没有模型：可在“精选模型”中下载，或通过“在线搜索”查找。</translation>
    </message>
    <message>
        <source>The built-in model is part of the installation</source>
        <translation>内置模型是安装的一部分，无法删除</translation>
    </message>
    <message>
        <source>In use by the chat: pick another model first</source>
        <translation>对话正在使用此模型：请先选择其他模型</translation>
    </message>
    <message>
        <source>Forget the link; the file stays where it is</source>
        <translation>移除链接；文件保留在原位置</translation>
    </message>
    <message>
        <source>Delete the file from the models folder</source>
        <translation>从模型文件夹中删除此文件</translation>
    </message>
    <message>
        <source>reading its header…</source>
        <translation>正在读取文件头…</translation>
    </message>
    <message>
        <source>{} layers</source>
        <translation>{} 层</translation>
    </message>
    <message>
        <source>trained context {} tokens</source>
        <translation>训练上下文 {} token</translation>
    </message>
    <message>
        <source>chat template</source>
        <translation>有对话模板</translation>
    </message>
    <message>
        <source>no chat template</source>
        <translation>无对话模板</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Hide the chat list (Ctrl+B)</source>
        <translation>隐藏对话列表（Ctrl+B）</translation>
    </message>
    <message>
        <source>Show or hide the chat list</source>
        <translation>显示或隐藏对话列表</translation>
    </message>
    <message>
        <source>The local server cannot start: {reason}</source>
        <translation>本地服务器无法启动：{reason}</translation>
    </message>
    <message>
        <source>Downloaded {name}: pick it in the model list.</source>
        <translation>已下载 {name}：可在模型列表中选择它。</translation>
    </message>
    <message>
        <source>A download failed: see Models….</source>
        <translation>有下载失败：请在“模型”页面查看。</translation>
    </message>
    <message>
        <source>Models: download, import and delete models</source>
        <translation>模型：下载、导入和删除模型</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Settings: sampling, context, threads, GPU layers, appearance (Ctrl+,)</source>
        <translation>设置：采样、上下文、线程、GPU 层数、外观（Ctrl+,）</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>The settings could not be saved ({reason}); they apply to this session only.</source>
        <translation>无法保存设置（{reason}）；这些设置仅在本次运行中有效。</translation>
    </message>
    <message>
        <source>Reloading the model with the new settings…</source>
        <translation>正在使用新设置重新加载模型…</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>Model: {name}</source>
        <translation>模型：{name}</translation>
    </message>
    <message>
        <source>Model: {name} (click to choose another)</source>
        <translation>模型：{name}（点击选择其他模型）</translation>
    </message>
    <message>
        <source>&amp;Lamplight</source>
        <translation>Lamplight(&amp;L)</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>&amp;Chats</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Rename chat</source>
        <translation>重命名对话</translation>
    </message>
    <message>
        <source>Export this chat…</source>
        <translation>导出此对话…</translation>
    </message>
    <message>
        <source>Import chats…</source>
        <translation>导入对话…</translation>
    </message>
    <message>
        <source>Find in chats</source>
        <translation>在对话中搜索</translation>
    </message>
    <message>
        <source>Asking {server} for its models…</source>
        <translation>正在向 {server} 查询可用模型…</translation>
    </message>
    <message>
        <source>Models folder: {folder}</source>
        <translation>模型文件夹：{folder}</translation>
    </message>
    <message>
        <source>A document is still being read: send when it shows its size.</source>
        <translation>文档仍在读取中：请等它显示大小后再发送。</translation>
    </message>
    <message>
        <source>Nothing to export yet: this chat is empty.</source>
        <translation>暂无可导出的内容：此对话为空。</translation>
    </message>
    <message>
        <source>Cannot write {path}: {reason}</source>
        <translation>无法写入 {path}：{reason}</translation>
    </message>
    <message>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <source>Cannot import {name}: {reason}</source>
        <translation>无法导入 {name}：{reason}</translation>
    </message>
    <message>
        <source>Imported 1 chat.</source>
        <translation>已导入 1 个对话。</translation>
    </message>
    <message>
        <source>Imported {n} chats.</source>
        <translation>已导入 {n} 个对话。</translation>
    </message>
    <message>
        <source>No model loaded: pick one above.</source>
        <translation>未加载模型：请在上方选择一个。</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Ask anything. {hint}</source>
        <translation>有问题尽管问。{hint}</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Chat list</source>
        <translation>对话列表</translation>
    </message>
    <message>
        <source>Show the chat list (Ctrl+B)</source>
        <translation>显示对话列表（Ctrl+B）</translation>
    </message>
</context>
<context>
    <name>MessageActions</name>
    <message>
        <source>Load a model to answer again.</source>
        <translation>请先加载模型，再重新生成回答。</translation>
    </message>
    <message>
        <source>Load a model to go on with the answer.</source>
        <translation>请先加载模型，再继续回答。</translation>
    </message>
    <message>
        <source>Only the chat&apos;s last answer can go on, once it was stopped.</source>
        <translation>只有对话中最后一条已停止的回答可以继续。</translation>
    </message>
    <message>
        <source>Delete this message and the one after it in this version of the chat? Other versions stay.</source>
        <translation>要删除此消息及对话当前版本中它之后的 1 条消息吗？其他版本不受影响。</translation>
    </message>
    <message>
        <source>Delete this message and the {n} after it in this version of the chat? Other versions stay.</source>
        <translation>要删除此消息及对话当前版本中它之后的 {n} 条消息吗？其他版本不受影响。</translation>
    </message>
    <message>
        <source>Delete message</source>
        <translation>删除消息</translation>
    </message>
</context>
<context>
    <name>MessageFooter</name>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>1 token</source>
        <translation>1 个 token</translation>
    </message>
    <message>
        <source>{n} tokens</source>
        <translation>{n} 个 token</translation>
    </message>
    <message>
        <source>{thinking} thinking + {answer} answer tokens</source>
        <translation>思考 {thinking} + 回答 {answer} 个 token</translation>
    </message>
    <message>
        <source>{seconds} s</source>
        <translation>{seconds} 秒</translation>
    </message>
    <message>
        <source>{minutes} min {seconds} s</source>
        <translation>{minutes} 分 {seconds} 秒</translation>
    </message>
    <message>
        <source>{minutes} min</source>
        <translation>{minutes} 分钟</translation>
    </message>
    <message>
        <source>Thought for {seconds} s</source>
        <translation>思考了 {seconds} 秒</translation>
    </message>
    <message>
        <source>thinking: {thinking} · answer: {answer}</source>
        <translation>思考：{thinking} · 回答：{answer}</translation>
    </message>
    <message>
        <source>answer: {answer}</source>
        <translation>回答：{answer}</translation>
    </message>
    <message>
        <source>Model: {name}</source>
        <translation>模型：{name}</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Ran on: {connection}</source>
        <translation>运行于：{connection}</translation>
    </message>
    <message>
        <source>Time to first token: {seconds} s</source>
        <translation>首个 token 用时：{seconds} 秒</translation>
    </message>
    <message>
        <source>Speed: {speed} tokens/s</source>
        <translation>速度：{speed} token/秒</translation>
    </message>
    <message>
        <source>Prompt: {prompt} · {counts}</source>
        <translation>提示词：{prompt} · {counts}</translation>
    </message>
    <message>
        <source>Seed: {seed}</source>
        <translation>随机种子：{seed}</translation>
    </message>
    <message>
        <source>{speed} tok/s</source>
        <translation>{speed} tok/s</translation>
    </message>
    <message>
        <source>first token {seconds} s</source>
        <translation>首 token {seconds} 秒</translation>
    </message>
    <message>
        <source>on {connection}</source>
        <translation>运行于 {connection}</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>cut at the length limit (Max tokens in the settings)</source>
        <translation>已达长度上限而截断（见设置中的“最大 token 数”）</translation>
    </message>
    <message>
        <source>stopped: it was repeating itself</source>
        <translation>已停止：模型在重复自己</translation>
    </message>
    <message>
        <source>stopped after 1 part of a {tokens}-token document</source>
        <translation>已停止：已读完 1 部分（文档共 {tokens} 个 token）</translation>
    </message>
    <message>
        <source>stopped after {count} parts of a {tokens}-token document</source>
        <translation>已停止：已读完 {count} 部分（文档共 {tokens} 个 token）</translation>
    </message>
    <message>
        <source>summary of 1 part</source>
        <translation>分 1 部分总结</translation>
    </message>
    <message>
        <source>summary of {count} parts</source>
        <translation>分 {count} 部分总结</translation>
    </message>
    <message>
        <source>{tokens} tokens read</source>
        <translation>共读取 {tokens} 个 token</translation>
    </message>
    <message>
        <source>Parts…</source>
        <translation>查看各部分…</translation>
    </message>
    <message>
        <source>1 character</source>
        <translation>1 个字符</translation>
    </message>
    <message>
        <source>{n} characters</source>
        <translation>{n} 个字符</translation>
    </message>
    <message>
        <source>Attached: {name} · {size}</source>
        <translation>附件：{name} · {size}</translation>
    </message>
    <message>
        <source>and 1 more document</source>
        <translation>还有 1 个文档</translation>
    </message>
    <message>
        <source>and {n} more documents</source>
        <translation>还有 {n} 个文档</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <source>Your message</source>
        <translation>你的消息</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>(no answer)</source>
        <translation>（无回答）</translation>
    </message>
    <message>
        <source>Answer from {name}</source>
        <translation>来自 {name} 的回答</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>fits</source>
        <translation>放得下</translation>
    </message>
    <message>
        <source>tight</source>
        <translation>偏紧</translation>
    </message>
    <message>
        <source>too big</source>
        <translation>放不下</translation>
    </message>
    <message>
        <source>fits in memory with a context of {n} tokens (a rough estimate from its size)</source>
        <translation>上下文为 {n} 个 token 时内存放得下（按文件大小粗略估算）</translation>
    </message>
    <message>
        <source>tight in memory with a context of {n} tokens (a rough estimate from its size)</source>
        <translation>上下文为 {n} 个 token 时内存偏紧（按文件大小粗略估算）</translation>
    </message>
    <message>
        <source>too big for memory with a context of {n} tokens (a rough estimate from its size)</source>
        <translation>上下文为 {n} 个 token 时内存放不下（按文件大小粗略估算）</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Models folder: {folder}</source>
        <translation>模型文件夹：{folder}</translation>
    </message>
    <message>
        <source>Built in</source>
        <translation>内置</translation>
    </message>
    <message>
        <source>Installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <source>{name} (built-in)</source>
        <translation>{name}（内置）</translation>
    </message>
    <message>
        <source>No model installed</source>
        <translation>未安装模型</translation>
    </message>
    <message>
        <source>Manage models…</source>
        <translation>管理模型…</translation>
    </message>
    <message>
        <source>{mark} {name} · asking…</source>
        <translation>{mark} {name} · 正在询问…</translation>
    </message>
    <message>
        <source>{mark} {name} · unreachable</source>
        <translation>{mark} {name} · 无法连接</translation>
    </message>
    <message>
        <source>{model} on {server} ({url})</source>
        <translation>{server} 上的 {model}（{url}）</translation>
    </message>
    <message>
        <source>{server} lists no models</source>
        <translation>{server} 没有列出模型</translation>
    </message>
    <message>
        <source>Reading the models&apos; names</source>
        <translation>正在读取模型名称</translation>
    </message>
    <message>
        <source>&apos;{server}&apos; no longer lists it.</source>
        <translation>“{server}”已不再列出它。</translation>
    </message>
    <message>
        <source>The model used last, {model}, is not available: {reason}</source>
        <translation>上次使用的模型 {model} 不可用：{reason}</translation>
    </message>
</context>
<context>
    <name>ModelsPage</name>
    <message>
        <source>The catalog cannot be shown: {}</source>
        <translation>无法显示精选模型：{}</translation>
    </message>
    <message>
        <source>Installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <source>Catalog</source>
        <translation>精选模型</translation>
    </message>
    <message>
        <source>Search the hub</source>
        <translation>在线搜索</translation>
    </message>
    <message>
        <source>← Back to chat</source>
        <translation>← 返回对话</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Import .gguf…</source>
        <translation>导入 .gguf…</translation>
    </message>
    <message>
        <source>Add a model file you already have</source>
        <translation>添加你已有的模型文件</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>.gguf files put here are listed too</source>
        <translation>放在这里的 .gguf 文件也会列出</translation>
    </message>
    <message>
        <source>Import…</source>
        <translation>导入…</translation>
    </message>
    <message>
        <source>No file manager opened. The models folder is:
{}</source>
        <translation>未能打开文件管理器。模型文件夹位于：
{}</translation>
    </message>
    <message>
        <source>Estimating the models&apos; speed</source>
        <translation>正在估算模型速度</translation>
    </message>
    <message>
        <source>downloading {}</source>
        <translation>下载中 {}</translation>
    </message>
    <message>
        <source>paused at {}</source>
        <translation>已暂停于 {}</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>pausing…</source>
        <translation>正在暂停…</translation>
    </message>
    <message>
        <source>cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>preparing…</source>
        <translation>正在准备…</translation>
    </message>
    <message>
        <source>installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <source>not on ModelScope</source>
        <translation>ModelScope 无此模型</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Resume download</source>
        <translation>继续下载</translation>
    </message>
    <message>
        <source>Downloading…</source>
        <translation>正在下载…</translation>
    </message>
    <message>
        <source>Preparing…</source>
        <translation>正在准备…</translation>
    </message>
    <message>
        <source>Not on ModelScope</source>
        <translation>ModelScope 无此模型</translation>
    </message>
    <message>
        <source>Unsafe file name</source>
        <translation>文件名不安全</translation>
    </message>
    <message>
        <source>Download {}</source>
        <translation>下载（{}）</translation>
    </message>
    <message>
        <source>Select a model in the catalog, or a file of a repo you searched for</source>
        <translation>请在“精选模型”中选择一个模型，或在搜索结果中选择某个仓库的文件</translation>
    </message>
    <message>
        <source>{} is installed already.</source>
        <translation>{} 已安装。</translation>
    </message>
    <message>
        <source>{} is not on ModelScope: choose Hugging Face or a mirror as the model source to download it.</source>
        <translation>魔搭社区 (ModelScope) 上没有 {}：请将模型来源设为 Hugging Face 或镜像后再下载。</translation>
    </message>
    <message>
        <source>Asking {source} about {repo}</source>
        <translation>正在向 {source} 查询 {repo}</translation>
    </message>
    <message>
        <source>{repo} no longer has {file}; search for another file of this model.</source>
        <translation>{repo} 中已没有 {file}；请搜索此模型的其他文件。</translation>
    </message>
    <message>
        <source>Installed {}.</source>
        <translation>已安装 {}。</translation>
    </message>
    <message>
        <source>Use it now</source>
        <translation>立即使用</translation>
    </message>
    <message>
        <source>{n} files: import at most {most} models at a time.</source>
        <translation>共 {n} 个文件：一次最多导入 {most} 个模型。</translation>
    </message>
    <message>
        <source>{} files</source>
        <translation>{} 个文件</translation>
    </message>
    <message>
        <source>Checking {}…</source>
        <translation>正在检查 {}…</translation>
    </message>
    <message>
        <source>Checking {}</source>
        <translation>正在检查 {}</translation>
    </message>
    <message>
        <source>{} models</source>
        <translation>{} 个模型</translation>
    </message>
    <message>
        <source>Copying {}…</source>
        <translation>正在复制 {}…</translation>
    </message>
    <message>
        <source>Adding {}…</source>
        <translation>正在添加 {}…</translation>
    </message>
    <message>
        <source>Importing {}</source>
        <translation>正在导入 {}</translation>
    </message>
    <message>
        <source>Imported {}.</source>
        <translation>已导入 {}。</translation>
    </message>
    <message>
        <source>Imported {} models.</source>
        <translation>已导入 {} 个模型。</translation>
    </message>
    <message>
        <source>Looking for models of other apps</source>
        <translation>正在查找其他应用的模型</translation>
    </message>
    <message>
        <source>1 model from {places} found on this computer.</source>
        <translation>在本机找到 1 个来自 {places} 的模型。</translation>
    </message>
    <message>
        <source>{n} models from {places} found on this computer.</source>
        <translation>在本机找到 {n} 个来自 {places} 的模型。</translation>
    </message>
    <message>
        <source>{} is in use by the chat: pick another model first.</source>
        <translation>对话正在使用 {}：请先选择其他模型。</translation>
    </message>
    <message>
        <source>The built-in model is part of the installation.</source>
        <translation>内置模型是安装的一部分，无法删除。</translation>
    </message>
    <message>
        <source>Remove {} from Lamplight?</source>
        <translation>要从 Lamplight 中移除 {} 吗？</translation>
    </message>
    <message>
        <source>The file stays where it is:
{}</source>
        <translation>文件将保留在原位置：
{}</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Delete {name} ({size})?</source>
        <translation>要删除 {name}（{size}）吗？</translation>
    </message>
    <message>
        <source>The file will be deleted:
{}</source>
        <translation>以下文件将被删除：
{}</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <source>Cannot delete {name}: {why}</source>
        <translation>无法删除 {name}：{why}</translation>
    </message>
    <message>
        <source>Removed {}.</source>
        <translation>已移除 {}。</translation>
    </message>
    <message>
        <source>Deleted {}.</source>
        <translation>已删除 {}。</translation>
    </message>
</context>
<context>
    <name>OpenLink</name>
    <message>
        <source>Open link</source>
        <translation>打开链接</translation>
    </message>
    <message>
        <source>This link goes to:

{url}

Open it in your browser?</source>
        <translation>此链接指向：

{url}

要在浏览器中打开吗？</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
</context>
<context>
    <name>PartsDialog</name>
    <message>
        <source>Summary of {name}, part by part</source>
        <translation>{name} 的逐部分总结</translation>
    </message>
    <message>
        <source>1 part</source>
        <translation>1 个部分</translation>
    </message>
    <message>
        <source>{n} parts</source>
        <translation>{n} 个部分</translation>
    </message>
    <message>
        <source>{parts}, {tokens} tokens. Each part&apos;s note, then the text it was written from.</source>
        <translation>{parts}，共 {tokens} 个 token。以下是每个部分的要点及其对应的原文。</translation>
    </message>
    <message>
        <source>{parts}, {tokens} tokens (stopped before the end). Each part&apos;s note, then the text it was written from.</source>
        <translation>{parts}，共 {tokens} 个 token（未读完即已停止）。以下是每个部分的要点及其对应的原文。</translation>
    </message>
    <message>
        <source>Part {index} · {tokens} tokens</source>
        <translation>第 {index} 部分 · {tokens} 个 token</translation>
    </message>
    <message>
        <source>… {n} more characters</source>
        <translation>… 还有 {n} 个字符</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>显示全部</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>（空）</translation>
    </message>
    <message>
        <source>Note on part {index}</source>
        <translation>第 {index} 部分的要点</translation>
    </message>
    <message>
        <source>Text of part {index}</source>
        <translation>第 {index} 部分的原文</translation>
    </message>
    <message>
        <source>The text of this part is not available.</source>
        <translation>此部分的原文不可用。</translation>
    </message>
    <message>
        <source>Text of the part</source>
        <translation>该部分的原文</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>要点</translation>
    </message>
</context>
<context>
    <name>PresetBar</name>
    <message>
        <source>The language to translate into</source>
        <translation>要译成的语言</translation>
    </message>
    <message>
        <source>Edit system prompt</source>
        <translation>编辑系统提示词</translation>
    </message>
    <message>
        <source>Show or hide the instructions the model gets first</source>
        <translation>显示或隐藏模型最先收到的指令</translation>
    </message>
    <message>
        <source>Save as preset…</source>
        <translation>另存为预设…</translation>
    </message>
    <message>
        <source>Keep this system prompt as a preset of your own</source>
        <translation>将此系统提示词保存为你自己的预设</translation>
    </message>
    <message>
        <source>Delete preset</source>
        <translation>删除预设</translation>
    </message>
    <message>
        <source>Delete this preset of your own</source>
        <translation>删除你自己的这个预设</translation>
    </message>
    <message>
        <source>No system prompt</source>
        <translation>无系统提示词</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>The instructions the model gets first, in this chat</source>
        <translation>本对话中模型最先收到的指令</translation>
    </message>
    <message>
        <source>No preset</source>
        <translation>无预设</translation>
    </message>
    <message>
        <source>Preset: {name}</source>
        <translation>预设：{name}</translation>
    </message>
    <message>
        <source>Preset: {name} (what the model is set up for)</source>
        <translation>预设：{name}（模型的用途设定）</translation>
    </message>
    <message>
        <source>Translate into {language}</source>
        <translation>译成{language}</translation>
    </message>
    <message>
        <source>Delete the preset “{name}”? Conversations that use it keep their system prompt.</source>
        <translation>删除预设“{name}”？使用它的对话会保留各自的系统提示词。</translation>
    </message>
    <message>
        <source>Save preset</source>
        <translation>保存预设</translation>
    </message>
    <message>
        <source>Name of the preset:</source>
        <translation>预设名称：</translation>
    </message>
    <message>
        <source>Presets</source>
        <translation>预设</translation>
    </message>
</context>
<context>
    <name>RemoteDetails</name>
    <message>
        <source>set on the connection</source>
        <translation>在连接中设置</translation>
    </message>
    <message>
        <source>as the server reports it</source>
        <translation>以服务器报告为准</translation>
    </message>
    <message>
        <source>1 request at once</source>
        <translation>可同时处理 1 个请求</translation>
    </message>
    <message>
        <source>{n} requests at once</source>
        <translation>可同时处理 {n} 个请求</translation>
    </message>
    <message>
        <source>{model} on {server}</source>
        <translation>{model}，运行于 {server}</translation>
    </message>
    <message>
        <source>context {n} tokens ({how}) · {at_once}</source>
        <translation>上下文 {n} 个 token（{how}）· {at_once}</translation>
    </message>
    <message>
        <source>chat template: {template}</source>
        <translation>对话模板：{template}</translation>
    </message>
    <message>
        <source>token counts are estimates: the server cannot count them</source>
        <translation>token 数为估算值：服务器无法计数</translation>
    </message>
</context>
<context>
    <name>RemoteModels</name>
    <message>
        <source>Asking {server} for its models</source>
        <translation>向 {server} 查询可用模型</translation>
    </message>
</context>
<context>
    <name>ServerAction</name>
    <message>
        <source>Local server</source>
        <translation>本地服务器</translation>
    </message>
    <message>
        <source>Answer other programs on this computer through an OpenAI-compatible API</source>
        <translation>通过 OpenAI 兼容 API 响应本机上的其他程序</translation>
    </message>
</context>
<context>
    <name>ServerControl</name>
    <message>
        <source>Starting the local server</source>
        <translation>启动本地服务器</translation>
    </message>
    <message>
        <source>Stopping the local server</source>
        <translation>停止本地服务器</translation>
    </message>
    <message>
        <source>The server stopped unexpectedly: see the log.</source>
        <translation>服务器意外停止：请查看日志。</translation>
    </message>
</context>
<context>
    <name>ServerPanel</name>
    <message>
        <source>The window&apos;s model, as a request names it; GET /v1/models lists every installed model</source>
        <translation>请求中用来指代窗口当前模型的名称；GET /v1/models 会列出所有已安装的模型</translation>
    </message>
    <message>
        <source>An OpenAI-compatible API for programs on this computer, answered by the models installed here.</source>
        <translation>为本机上的程序提供 OpenAI 兼容 API，由此处安装的模型回答。</translation>
    </message>
    <message>
        <source>Port and web origins: Settings › Server, used when it next starts. Only this computer can connect.</source>
        <translation>端口和网页来源：设置 › 服务器，下次启动时生效。只有本机可以连接。</translation>
    </message>
    <message>
        <source>Local server</source>
        <translation>本地服务器</translation>
    </message>
    <message>
        <source>On</source>
        <translation>开启</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the address: the base URL of an OpenAI client</source>
        <translation>复制地址：用作 OpenAI 客户端的 Base URL</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>Off: turn it on to get an address</source>
        <translation>已关闭：开启后即可获得地址</translation>
    </message>
    <message>
        <source>Model: {name}</source>
        <translation>模型：{name}</translation>
    </message>
    <message>
        <source>{n} requests in flight</source>
        <translation>处理中 {n} 个请求</translation>
    </message>
    <message>
        <source>{n} served</source>
        <translation>已处理 {n} 个</translation>
    </message>
    <message>
        <source>Last error: {error}</source>
        <translation>最近的错误：{error}</translation>
    </message>
    <message>
        <source>1 request in flight</source>
        <translation>处理中 1 个请求</translation>
    </message>
    <message>
        <source>1 served</source>
        <translation>已处理 1 个</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
</context>
<context>
    <name>ServerStatusButton</name>
    <message>
        <source>The local server: its address, requests and switch</source>
        <translation>本地服务器：地址、请求和开关</translation>
    </message>
    <message>
        <source>Server: on</source>
        <translation>服务器：已开启</translation>
    </message>
    <message>
        <source>Server on · 1 request</source>
        <translation>服务器已开启 · 1 个请求</translation>
    </message>
    <message>
        <source>Server on · {n} requests</source>
        <translation>服务器已开启 · {n} 个请求</translation>
    </message>
    <message>
        <source>Server: starting…</source>
        <translation>服务器：正在启动…</translation>
    </message>
    <message>
        <source>Server: stopping…</source>
        <translation>服务器：正在停止…</translation>
    </message>
    <message>
        <source>Server: off</source>
        <translation>服务器：已关闭</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>This llama.cpp build runs on the CPU only: it cannot offload layers to a GPU (see the README for CUDA, Metal and Vulkan builds).</source>
        <translation>此 llama.cpp 版本只能在 CPU 上运行，无法把层卸载到 GPU（CUDA、Metal 和 Vulkan 版本见 README）。</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Settings sections</source>
        <translation>设置分类</translation>
    </message>
    <message>
        <source>These settings {reason}. Changes made here apply to this session only and are not saved.</source>
        <translation>这些设置{reason}。此处的更改只在本次运行中生效，不会保存。</translation>
    </message>
    <message>
        <source>Apply to:</source>
        <translation>应用于：</translation>
    </message>
    <message>
        <source>Apply to</source>
        <translation>应用于</translation>
    </message>
    <message>
        <source>All models</source>
        <translation>所有模型</translation>
    </message>
    <message>
        <source>{model} only</source>
        <translation>仅 {model}</translation>
    </message>
    <message>
        <source>Change the values for every model, or only for this one (its own values win over the others)</source>
        <translation>更改所有模型的值，或仅更改此模型的值（它自己的值优先于通用值）</translation>
    </message>
    <message>
        <source>Restore defaults</source>
        <translation>恢复默认值</translation>
    </message>
    <message>
        <source>Show this page&apos;s defaults; OK or Apply then forgets your values.</source>
        <translation>显示本页的默认值；点击“确定”或“应用”后将清除你设置的值。</translation>
    </message>
    <message>
        <source>Connections</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Not available:</source>
        <translation>不可用：</translation>
    </message>
    <message>
        <source>Applies when the model reloads.</source>
        <translation>重新加载模型后生效。</translation>
    </message>
    <message>
        <source>half the context</source>
        <translation>上下文的一半</translation>
    </message>
    <message>
        <source>random</source>
        <translation>随机</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>none (e.g. https://example.com)</source>
        <translation>无（例如 https://example.com）</translation>
    </message>
    <message>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <source>Allowed: {values}.</source>
        <translation>允许的值：{values}。</translation>
    </message>
    <message>
        <source>{label}, custom number</source>
        <translation>{label}，自定义数值</translation>
    </message>
    <message>
        <source> pt</source>
        <extracomment>After the number of points in the text size&apos;s box (a space first).</extracomment>
        <translation> 磅</translation>
    </message>
    <message>
        <source>Aa</source>
        <extracomment>The live preview of the text size: a couple of letters, drawn at the size chosen.</extracomment>
        <translation>文字</translation>
    </message>
    <message>
        <source>Preview of the text size</source>
        <translation>文字大小预览</translation>
    </message>
    <message>
        <source>Use the system&apos;s size ({points} pt)</source>
        <translation>使用系统字号（{points} 磅）</translation>
    </message>
    <message>
        <source>Text at {points} pt</source>
        <translation>{points} 磅的文字</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Reset: back to the default (for one model: to the value for all models)</source>
        <translation>重置：恢复默认值（单个模型则恢复为所有模型的通用值）</translation>
    </message>
    <message>
        <source>Reset {label}</source>
        <translation>重置{label}</translation>
    </message>
    <message>
        <source>This machine</source>
        <translation>本机</translation>
    </message>
</context>
<context>
    <name>ShowAllTable</name>
    <message>
        <source>Table</source>
        <translation>表格</translation>
    </message>
    <message>
        <source>1 column</source>
        <translation>1 列</translation>
    </message>
    <message>
        <source>{n} columns</source>
        <translation>{n} 列</translation>
    </message>
    <message>
        <source>1 row</source>
        <translation>1 行</translation>
    </message>
    <message>
        <source>{n} rows</source>
        <translation>{n} 行</translation>
    </message>
    <message>
        <source>{columns}, {rows}</source>
        <translation>{columns}，{rows}</translation>
    </message>
</context>
<context>
    <name>ShowAllText</name>
    <message>
        <source>Copy all</source>
        <translation>全部复制</translation>
    </message>
</context>
<context>
    <name>SliderPair</name>
    <message>
        <source>{label}, value</source>
        <translation>{label}，数值</translation>
    </message>
</context>
<context>
    <name>SourceBar</name>
    <message>
        <source>Model &amp;source:</source>
        <translation>模型来源(&amp;S)：</translation>
    </message>
    <message>
        <source>Hugging Face</source>
        <translation>Hugging Face</translation>
    </message>
    <message>
        <source>Hugging Face mirror</source>
        <translation>Hugging Face 镜像</translation>
    </message>
    <message>
        <source>ModelScope</source>
        <translation>魔搭社区 (ModelScope)</translation>
    </message>
    <message>
        <source>Where the catalog, the search and new downloads get their models: the Hugging Face Hub, a mirror of it (for where the hub cannot be reached), or ModelScope</source>
        <translation>精选模型、搜索和新下载从哪里获取模型：Hugging Face Hub、它的镜像（用于无法访问 Hub 的地方），或魔搭社区 (ModelScope)</translation>
    </message>
    <message>
        <source>Mirror address, such as {}</source>
        <translation>镜像地址，例如 {}</translation>
    </message>
    <message>
        <source>A server that speaks the Hugging Face Hub&apos;s protocol. Press Enter to use it.</source>
        <translation>使用 Hugging Face Hub 协议的服务器。按 Enter 键启用。</translation>
    </message>
    <message>
        <source>Send my hub token</source>
        <translation>发送我的 Hub 令牌</translation>
    </message>
    <message>
        <source>Send your Hugging Face token (HF_TOKEN) to this mirror, for gated models. Off: the mirror never sees it.</source>
        <translation>把你的 Hugging Face 令牌（HF_TOKEN）发送给此镜像，用于需授权的模型。关闭时，镜像永远看不到它。</translation>
    </message>
    <message>
        <source>The choice could not be saved ({}); it holds until Lamplight quits.</source>
        <translation>无法保存此选择（{}）；在 Lamplight 退出前仍然有效。</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>Show the downloads</source>
        <translation>查看下载</translation>
    </message>
    <message>
        <source>GPU offload ({backend})</source>
        <translation>GPU 卸载（{backend}）</translation>
    </message>
    <message>
        <source>context {n} tokens · {runs_on}</source>
        <translation>上下文 {n} 个 token · {runs_on}</translation>
    </message>
    <message>
        <source>threads: {answers} for answers, {prompts} for prompts (fewer while the machine is busy)</source>
        <translation>线程：回答 {answers} 个，提示词 {prompts} 个（机器繁忙时会减少）</translation>
    </message>
    <message>
        <source>threads: {answers} for answers, {prompts} for prompts</source>
        <translation>线程：回答 {answers} 个，提示词 {prompts} 个</translation>
    </message>
    <message>
        <source>chat template: {template}</source>
        <translation>对话模板：{template}</translation>
    </message>
    <message>
        <source>{speed} tok/s</source>
        <translation>{speed} tok/s</translation>
    </message>
    <message>
        <source>threads in use: {answer} for the answer, {prompt} for the prompt</source>
        <translation>使用中的线程：回答 {answer} 个，提示词 {prompt} 个</translation>
    </message>
    <message>
        <source>Downloading 1 model…</source>
        <translation>正在下载 1 个模型…</translation>
    </message>
    <message>
        <source>Downloading {n} models…</source>
        <translation>正在下载 {n} 个模型…</translation>
    </message>
    <message>
        <source>1 download failed</source>
        <translation>1 个下载失败</translation>
    </message>
    <message>
        <source>{n} downloads failed</source>
        <translation>{n} 个下载失败</translation>
    </message>
    <message>
        <source>1 download paused</source>
        <translation>1 个下载已暂停</translation>
    </message>
    <message>
        <source>{n} downloads paused</source>
        <translation>{n} 个下载已暂停</translation>
    </message>
</context>
<context>
    <name>ThinkingBlock</name>
    <message>
        <source>Thinking</source>
        <translation>思考</translation>
    </message>
    <message>
        <source>Thought for less than a second</source>
        <translation>思考了不到 1 秒</translation>
    </message>
    <message>
        <source>Thought for {duration}</source>
        <translation>思考了 {duration}</translation>
    </message>
    <message>
        <source>Thinking… {duration}</source>
        <translation>正在思考… {duration}</translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>正在思考…</translation>
    </message>
    <message>
        <source>Hide the model&apos;s thinking</source>
        <translation>隐藏模型的思考过程</translation>
    </message>
    <message>
        <source>Show what the model thought before it answered</source>
        <translation>显示模型回答前的思考过程</translation>
    </message>
    <message>
        <source>{label}: hide the thinking</source>
        <translation>{label}：隐藏思考过程</translation>
    </message>
    <message>
        <source>{label}: show the thinking</source>
        <translation>{label}：显示思考过程</translation>
    </message>
    <message>
        <source>1 more character of the thinking is not shown here.</source>
        <translation>思考过程还有 1 个字符未在此显示。</translation>
    </message>
    <message>
        <source>{n} more characters of the thinking are not shown here.</source>
        <translation>思考过程还有 {n} 个字符未在此显示。</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>显示全部</translation>
    </message>
</context>
<context>
    <name>ThinkingSwitch</name>
    <message>
        <source>Thinking</source>
        <translation>思考</translation>
    </message>
    <message>
        <source>Let the model think before it answers, in this chat. Off: it answers at once, faster and shorter.</source>
        <translation>在本对话中让模型先思考再回答。关闭：直接回答，更快也更简短。</translation>
    </message>
    <message>
        <source>The model thinks before it answers in this chat</source>
        <translation>在本对话中模型先思考再回答</translation>
    </message>
    <message>
        <source>How long the model thinks before it answers, in this chat: longer is slower and often better</source>
        <translation>本对话中模型回答前思考多久：越久越慢，但往往更好</translation>
    </message>
    <message>
        <source>Reasoning effort</source>
        <translation>推理强度</translation>
    </message>
    <message>
        <source>{level} effort</source>
        <translation>推理强度：{level}</translation>
    </message>
</context>
<context>
    <name>_MessageActions</name>
    <message>
        <source>Copy this message</source>
        <translation>复制这条消息</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Delete this message and what follows it</source>
        <translation>删除这条消息及其后的所有内容</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>More versions</source>
        <translation>更多版本</translation>
    </message>
    <message>
        <source>Answer again several times: new versions side by side</source>
        <translation>重新回答多次：新版本并列保存</translation>
    </message>
    <message>
        <source>Regenerate {n} versions</source>
        <translation>重新生成 {n} 个版本</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Ask again with changed words: a new version of this question</source>
        <translation>修改后重新提问：生成这个问题的新版本</translation>
    </message>
    <message>
        <source>Answer again: a new version of this answer</source>
        <translation>重新回答：生成这个回答的新版本</translation>
    </message>
    <message>
        <source>Copied to the clipboard</source>
        <translation>已复制到剪贴板</translation>
    </message>
</context>
<context>
    <name>_ReadingChip</name>
    <message>
        <source>Reading {name}</source>
        <translation>正在读取 {name}</translation>
    </message>
    <message>
        <source>Reading {name}…</source>
        <translation>正在读取 {name}…</translation>
    </message>
</context>
<context>
    <name>_VersionNav</name>
    <message>
        <source>Previous version</source>
        <translation>上一个版本</translation>
    </message>
    <message>
        <source>Next version</source>
        <translation>下一个版本</translation>
    </message>
</context>
</TS>
